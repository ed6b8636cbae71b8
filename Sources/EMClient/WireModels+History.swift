/// `GET /ensembles/E/triggers/T/files`: a page of a trigger's ledger, newest first.
public struct TriggerFilesPage: Decodable, Sendable, Equatable {
    public var files: [LedgerFileResource]
    /// The cursor of the next page (`after`), nil on the last page.
    public var next: String?

    /// Creates a page (tests, fakes).
    public init(files: [LedgerFileResource], next: String?) {
        self.files = files
        self.next = next
    }
}

/// A file a trigger recorded, and the workflow it went into.
public struct LedgerFileResource: Decodable, Sendable, Equatable {
    public var path: String
    /// When the file was recorded (its workflow submitted), seconds since the epoch.
    public var recorded: Double
    /// The trigger whose row it is (a predecessor sharing the ledger is `NAME@ID`).
    public var trigger: String
    /// Nil for a file recorded without a workflow (`--skip-existing`).
    public var workflow: String?
    /// Nil when the workflow was deleted (or there is none).
    public var workflowState: String?
    public var movedTo: String?
    public var skippedExisting: Bool?
    public var size: Int64?

    /// Creates a ledger file (tests, fakes).
    public init(
        path: String, recorded: Double, trigger: String, workflow: String?, workflowState: String?,
        movedTo: String? = nil, skippedExisting: Bool? = nil, size: Int64? = nil
    ) {
        self.path = path
        self.recorded = recorded
        self.trigger = trigger
        self.workflow = workflow
        self.workflowState = workflowState
        self.movedTo = movedTo
        self.skippedExisting = skippedExisting
        self.size = size
    }

    enum CodingKeys: String, CodingKey {
        case path, recorded, trigger, workflow, size
        case workflowState = "workflow_state"
        case movedTo = "moved_to"
        case skippedExisting = "skipped_existing"
    }
}

/// `GET /ensembles/E/workflows?state=&limit=&after=`: a page of workflows by id.
public struct WorkflowPage: Decodable, Sendable, Equatable {
    public var workflows: [WorkflowResource]
    public var next: String?
}

/// `GET /ensembles/E/triggers?state=&limit=&after=`: a page of triggers by id.
public struct TriggerPage: Decodable, Sendable, Equatable {
    public var triggers: [TriggerResource]
    public var next: String?
}

extension WorkflowResource {
    /// A file a workflow received from its trigger.
    public struct InputFile: Decodable, Sendable, Equatable {
        public var path: String
        public var trigger: String
        public var recorded: Double

        /// Creates an input file.
        public init(path: String, trigger: String, recorded: Double) {
            self.path = path
            self.trigger = trigger
            self.recorded = recorded
        }
    }
}
