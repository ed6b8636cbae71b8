/// The version of pegasus-em and pegasus-service, as `--version` prints it and the Debian package is named.
///
/// The repository's `VERSION` file is the one source: `scripts/package.sh` refuses to build when this constant
/// differs from it, and `PegasusConfigTests` fails.
public let pegasusEMVersion = "0.9.0"
