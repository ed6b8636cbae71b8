/// An ensemble as the server returns it (`GET /ensembles`, `GET /ensembles/E`).
public struct EnsembleResource: Decodable, Sendable, Equatable {
    public var id: Int
    public var name: String
    /// Seconds since the epoch.
    public var created: Double
    public var updated: Double
    /// `ACTIVE`, `PAUSED` or `HELD`.
    public var state: String
    public var maxRunning: Int
    public var maxPlanning: Int
    public var workflows: String?
    public var href: String?

    /// Creates an ensemble resource (tests, fakes).
    public init(
        id: Int, name: String, created: Double, updated: Double, state: String, maxRunning: Int, maxPlanning: Int,
        workflows: String? = nil, href: String? = nil
    ) {
        self.id = id
        self.name = name
        self.created = created
        self.updated = updated
        self.state = state
        self.maxRunning = maxRunning
        self.maxPlanning = maxPlanning
        self.workflows = workflows
        self.href = href
    }

    enum CodingKeys: String, CodingKey {
        case id, name, created, updated, state, workflows, href
        case maxRunning = "max_running"
        case maxPlanning = "max_planning"
    }
}

/// A workflow of an ensemble: the summary of a listing, or the detail of `GET /ensembles/E/workflows/W`.
public struct WorkflowResource: Decodable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var created: Double
    public var updated: Double
    public var state: String
    public var priority: Int
    public var wfUUID: String?
    public var href: String?
    // Detail view only.
    public var basedir: String?
    public var planCommand: String?
    public var planArgv: [String]?
    public var log: String?
    public var submitdir: String?
    public var history: [HistoryEntry]?
    public var diagnostic: String?
    /// The files its trigger handed to it (issue 15; absent from Pegasus' server).
    public var inputFiles: [InputFile]?

    /// Creates a workflow resource (tests, fakes); the detail fields default to absent.
    public init(
        id: Int, name: String, created: Double, updated: Double, state: String, priority: Int, wfUUID: String?,
        href: String? = nil, basedir: String? = nil, planCommand: String? = nil, planArgv: [String]? = nil,
        log: String? = nil, submitdir: String? = nil, history: [HistoryEntry]? = nil, diagnostic: String? = nil,
        inputFiles: [InputFile]? = nil
    ) {
        self.id = id
        self.name = name
        self.created = created
        self.updated = updated
        self.state = state
        self.priority = priority
        self.wfUUID = wfUUID
        self.href = href
        self.basedir = basedir
        self.planCommand = planCommand
        self.planArgv = planArgv
        self.log = log
        self.submitdir = submitdir
        self.history = history
        self.diagnostic = diagnostic
        self.inputFiles = inputFiles
    }

    /// One state change of a workflow.
    public struct HistoryEntry: Decodable, Sendable, Equatable {
        public var time: Double
        public var from: String?
        public var to: String
        public var reason: String?

        /// Creates a history entry.
        public init(time: Double, from: String?, to: String, reason: String?) {
            self.time = time
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, created, updated, state, priority, href, basedir, log, submitdir, history, diagnostic
        case wfUUID = "wf_uuid"
        case planCommand = "plan_command"
        case planArgv = "plan_argv"
        case inputFiles = "input_files"
    }
}

/// A trigger (`GET /ensembles/E/triggers`), with the detail fields of `GET /ensembles/E/triggers/T`.
public struct TriggerResource: Decodable, Sendable, Equatable {
    public var id: Int
    public var ensembleID: Int?
    public var name: String
    /// `RUNNING`, `PAUSED`, `STOPPED`, `EXPIRED` or `FAILED`.
    public var state: String
    public var workflow: Workflow
    /// `interval`, `timeout`, `file_patterns`, `cron`, `timezone`, ... as the server sends them.
    public var args: [String: JSONValue]?
    /// `CRON` or `FILE_PATTERN`.
    public var type: String
    public var reason: String?
    public var created: Double?
    public var updated: Double?
    public var nextFire: Double?
    public var deadline: Double?
    public var fireCount: Int?
    public var priority: Int?
    public var basedir: String?
    // Issue 14 (absent from Pegasus' server and older ones, so all optional).
    /// `allow`, `skip` or `buffer-one`: what a tick does while the trigger's last workflow still runs.
    public var overlap: String?
    /// Consecutive failed workflows after which the trigger pauses itself; nil is never (or an older server).
    public var pauseAfterFailures: Int?
    public var consecutiveFailures: Int?
    public var skippedTicks: Int?
    public var lastSkip: Skip?
    /// `buffer-one`: a tick waits for the trigger's running workflow to end.
    public var buffered: Bool?
    // Detail view only.
    public var watch: Watch?
    public var submissions: [Submission]?
    /// Latest first.
    public var history: [Event]?

    /// Creates a trigger resource (tests, fakes).
    public init(
        id: Int, ensembleID: Int? = nil, name: String, state: String, workflow: Workflow,
        args: [String: JSONValue]?, type: String, reason: String? = nil, created: Double? = nil,
        updated: Double? = nil, nextFire: Double? = nil, deadline: Double? = nil, fireCount: Int? = nil,
        priority: Int? = nil, basedir: String? = nil, watch: Watch? = nil, submissions: [Submission]? = nil,
        overlap: String? = nil, pauseAfterFailures: Int? = nil, consecutiveFailures: Int? = nil,
        skippedTicks: Int? = nil, lastSkip: Skip? = nil, buffered: Bool? = nil, history: [Event]? = nil
    ) {
        self.id = id
        self.ensembleID = ensembleID
        self.name = name
        self.state = state
        self.workflow = workflow
        self.args = args
        self.type = type
        self.reason = reason
        self.created = created
        self.updated = updated
        self.nextFire = nextFire
        self.deadline = deadline
        self.fireCount = fireCount
        self.priority = priority
        self.basedir = basedir
        self.watch = watch
        self.submissions = submissions
        self.overlap = overlap
        self.pauseAfterFailures = pauseAfterFailures
        self.consecutiveFailures = consecutiveFailures
        self.skippedTicks = skippedTicks
        self.lastSkip = lastSkip
        self.buffered = buffered
        self.history = history
    }

    /// The last tick the trigger skipped, and why.
    public struct Skip: Decodable, Sendable, Equatable {
        public var time: Double
        public var reason: String

        /// Creates a skip record.
        public init(time: Double, reason: String) {
            self.time = time
            self.reason = reason
        }
    }

    /// One entry of a trigger's history (`paused`, `resumed`, `skipped`, ...); `count` folds repeats.
    public struct Event: Decodable, Sendable, Equatable {
        public var time: Double
        public var event: String
        public var user: String?
        public var detail: String?
        public var count: Int?

        /// Creates a history entry.
        public init(time: Double, event: String, user: String? = nil, detail: String? = nil, count: Int? = nil) {
            self.time = time
            self.event = event
            self.user = user
            self.detail = detail
            self.count = count
        }
    }

    /// The workflow script a trigger runs and its arguments.
    public struct Workflow: Decodable, Sendable, Equatable {
        public var script: String
        public var args: [String]

        /// Creates a workflow reference.
        public init(script: String, args: [String]) {
            self.script = script
            self.args = args
        }
    }

    /// What a file trigger watches.
    public struct Watch: Decodable, Sendable, Equatable {
        public var roots: [Root]
        public var pendingFiles: Int?
        public var oldestPendingAge: Double?

        /// Creates a watch description.
        public init(roots: [Root], pendingFiles: Int?, oldestPendingAge: Double?) {
            self.roots = roots
            self.pendingFiles = pendingFiles
            self.oldestPendingAge = oldestPendingAge
        }

        /// One watched directory and how it is watched (`inotify`, `poll`) and why.
        public struct Root: Decodable, Sendable, Equatable {
            public var path: String
            public var mode: String
            public var reason: String?
            /// Which readiness rule its files are judged by (writer check and quiet period, or settle).
            public var readiness: String?

            /// Creates a watched root.
            public init(path: String, mode: String, reason: String?, readiness: String? = nil) {
                self.path = path
                self.mode = mode
                self.reason = reason
                self.readiness = readiness
            }
        }

        enum CodingKeys: String, CodingKey {
            case roots
            case pendingFiles = "pending_files"
            case oldestPendingAge = "oldest_pending_age"
        }
    }

    /// One workflow a trigger submitted.
    public struct Submission: Decodable, Sendable, Equatable {
        public var workflow: String
        public var time: Double
        public var files: [String]?

        /// Creates a submission record.
        public init(workflow: String, time: Double, files: [String]?) {
            self.workflow = workflow
            self.time = time
            self.files = files
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, state, workflow, args, type, reason, created, updated, deadline, priority, basedir, watch
        case submissions, overlap, buffered, history
        case ensembleID = "ensemble_id"
        case nextFire = "next_fire"
        case fireCount = "fire_count"
        case pauseAfterFailures = "pause_after_failures"
        case consecutiveFailures = "consecutive_failures"
        case skippedTicks = "skipped_ticks"
        case lastSkip = "last_skip"
    }
}

/// `GET /ensembles/E/triggers/T/preview`: what the trigger would do next. Lists absent from the answer decode as
/// empty.
public struct TriggerPreview: Decodable, Sendable, Equatable {
    public var trigger: String
    public var state: String
    public var paused: Bool
    /// The next fire times, epoch seconds; empty when none are left.
    public var fireTimes: [Double]
    /// File triggers: the files of the next workflow.
    public var nextWorkflow: [String]
    /// File triggers: files seen but not ready yet.
    public var pending: [Pending]
    /// File triggers: how many more workflows the ready files beyond `max_files` make.
    public var laterWorkflows: Int
    /// `CRON` or `FILE_PATTERN`, if the server says (not in the contract; the file lists tell otherwise).
    public var type: String?

    /// A file that is not ready yet, and why (`writer open`, `settling (0.4 s left)`, ...).
    public struct Pending: Decodable, Sendable, Equatable {
        public var path: String
        public var reason: String

        /// Creates a pending file.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// Creates a preview (tests, fakes).
    public init(
        trigger: String, state: String, paused: Bool = false, fireTimes: [Double] = [], nextWorkflow: [String] = [],
        pending: [Pending] = [], laterWorkflows: Int = 0, type: String? = nil
    ) {
        self.trigger = trigger
        self.state = state
        self.paused = paused
        self.fireTimes = fireTimes
        self.nextWorkflow = nextWorkflow
        self.pending = pending
        self.laterWorkflows = laterWorkflows
        self.type = type
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trigger = try c.decode(String.self, forKey: .trigger)
        state = try c.decode(String.self, forKey: .state)
        paused = try c.decodeIfPresent(Bool.self, forKey: .paused) ?? (state == "PAUSED")
        fireTimes = try c.decodeIfPresent([Double].self, forKey: .fireTimes) ?? []
        nextWorkflow = try c.decodeIfPresent([String].self, forKey: .nextWorkflow) ?? []
        pending = try c.decodeIfPresent([Pending].self, forKey: .pending) ?? []
        laterWorkflows = try c.decodeIfPresent(Int.self, forKey: .laterWorkflows) ?? 0
        type = try c.decodeIfPresent(String.self, forKey: .type)
    }

    enum CodingKeys: String, CodingKey {
        case trigger, state, paused, pending, type
        case fireTimes = "fire_times"
        case nextWorkflow = "next_workflow"
        case laterWorkflows = "later_workflows"
    }
}

/// The `{"message": ...}` body of most write responses and of every error.
public struct MessageResource: Decodable, Sendable, Equatable {
    public var message: String
}

/// Any JSON value, for fields whose shape the client only displays (`args` of a trigger).
public enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value as a whole number of seconds, if it is one.
    public var intValue: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: Int(d)
        default: nil
        }
    }

    /// The value if it is a string.
    public var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// The value as a list of strings, if it is one.
    public var stringArray: [String]? {
        guard case .array(let items) = self else { return nil }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count ? strings : nil
    }
}
