import EMClient

// The executable only wires: the `server` subcommand (EnsembleServer) plus the client commands (EMClient).
await EnsembleManagerCLI.main(server: ServerCommand.self)
