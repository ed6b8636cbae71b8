import GRDB

/// The versioned schema of the EM store. A shipped migration is never edited: add a new one.
enum StoreMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ensemble (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'PAUSED', 'HELD')),
                        max_running INTEGER NOT NULL CHECK (max_running >= 1),
                        max_planning INTEGER NOT NULL CHECK (max_planning >= 1)
                    );
                    CREATE TABLE trigger (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ensemble_id INTEGER NOT NULL REFERENCES ensemble(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        type TEXT NOT NULL CHECK (type IN ('CRON', 'FILE_PATTERN')),
                        state TEXT NOT NULL CHECK (state IN ('RUNNING', 'STOPPED', 'EXPIRED', 'FAILED')),
                        reason TEXT,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        workflow_script TEXT NOT NULL,
                        workflow_args TEXT NOT NULL,
                        definition TEXT NOT NULL,
                        basedir TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        next_fire REAL,
                        deadline REAL,
                        fire_count INTEGER NOT NULL DEFAULT 0,
                        last_fire REAL,
                        UNIQUE (ensemble_id, name)
                    );
                    CREATE TABLE workflow (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ensemble_id INTEGER NOT NULL REFERENCES ensemble(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        basedir TEXT NOT NULL,
                        plan_command TEXT NOT NULL,
                        plan_argv TEXT NOT NULL,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        state TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        wf_uuid TEXT,
                        submitdir TEXT,
                        trigger_id INTEGER REFERENCES trigger(id) ON DELETE SET NULL,
                        reason TEXT,
                        diagnostic TEXT,
                        job_kind TEXT,
                        job_pid INTEGER,
                        job_start_ticks INTEGER,
                        job_pgid INTEGER,
                        job_log_offset INTEGER,
                        job_started_at REAL,
                        run_started_at REAL,
                        run_count INTEGER NOT NULL DEFAULT 0,
                        state_changed REAL NOT NULL,
                        UNIQUE (ensemble_id, name)
                    );
                    CREATE INDEX workflow_active ON workflow(state) WHERE state IN ('READY', 'PLANNING', 'QUEUED', 'RUNNING');
                    CREATE INDEX workflow_trigger ON workflow(trigger_id);
                    CREATE TABLE workflow_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        workflow_id INTEGER NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
                        time REAL NOT NULL,
                        from_state TEXT,
                        to_state TEXT NOT NULL,
                        reason TEXT
                    );
                    CREATE INDEX workflow_history_wf ON workflow_history(workflow_id, id);
                    CREATE TABLE trigger_fire (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trigger_id INTEGER NOT NULL REFERENCES trigger(id) ON DELETE CASCADE,
                        tick REAL NOT NULL,
                        time REAL NOT NULL,
                        workflow_id INTEGER REFERENCES workflow(id) ON DELETE SET NULL,
                        workflow_name TEXT NOT NULL,
                        UNIQUE (trigger_id, tick)
                    );
                    CREATE TABLE trigger_file (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trigger_id INTEGER NOT NULL REFERENCES trigger(id) ON DELETE CASCADE,
                        path TEXT NOT NULL,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        workflow_id INTEGER REFERENCES workflow(id) ON DELETE SET NULL,
                        workflow_name TEXT NOT NULL,
                        recorded REAL NOT NULL,
                        moved_to TEXT,
                        move_done INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (trigger_id, path, device, inode, size, mtime_ns)
                    );
                    CREATE INDEX trigger_file_wf ON trigger_file(trigger_id, workflow_name);
                    CREATE INDEX trigger_file_moves ON trigger_file(workflow_id) WHERE moved_to IS NOT NULL AND move_done = 0;
                    """)
        }
        migrator.registerMigration("v2-trigger-operations") { db in
            // SQLite cannot change a CHECK constraint: the trigger and trigger_fire tables are rebuilt (with foreign
            // keys off during the migration, so nothing cascades; the other tables refer to them by name).
            try db.execute(
                sql: """
                    CREATE TABLE trigger_v2 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ensemble_id INTEGER NOT NULL REFERENCES ensemble(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        type TEXT NOT NULL CHECK (type IN ('CRON', 'FILE_PATTERN')),
                        state TEXT NOT NULL CHECK (state IN ('RUNNING', 'PAUSED', 'STOPPED', 'EXPIRED', 'FAILED')),
                        reason TEXT,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        workflow_script TEXT NOT NULL,
                        workflow_args TEXT NOT NULL,
                        definition TEXT NOT NULL,
                        basedir TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        next_fire REAL,
                        deadline REAL,
                        fire_count INTEGER NOT NULL DEFAULT 0,
                        last_fire REAL,
                        schedule_anchor REAL,
                        ledger_id INTEGER,
                        consecutive_failures INTEGER NOT NULL DEFAULT 0,
                        skipped_ticks INTEGER NOT NULL DEFAULT 0,
                        last_skip_time REAL,
                        last_skip_reason TEXT,
                        buffered_tick REAL,
                        UNIQUE (ensemble_id, name)
                    );
                    INSERT INTO trigger_v2 (id, ensemble_id, name, type, state, reason, created, updated,
                        workflow_script, workflow_args, definition, basedir, priority, next_fire, deadline, fire_count,
                        last_fire)
                    SELECT id, ensemble_id, name, type, state, reason, created, updated, workflow_script,
                        workflow_args, definition, basedir, priority, next_fire, deadline, fire_count, last_fire
                    FROM trigger;
                    DROP TABLE trigger;
                    ALTER TABLE trigger_v2 RENAME TO trigger;
                    CREATE INDEX trigger_ledger ON trigger(ledger_id) WHERE ledger_id IS NOT NULL;

                    CREATE TABLE trigger_fire_v2 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trigger_id INTEGER NOT NULL REFERENCES trigger(id) ON DELETE CASCADE,
                        tick REAL NOT NULL,
                        time REAL NOT NULL,
                        workflow_id INTEGER REFERENCES workflow(id) ON DELETE SET NULL,
                        workflow_name TEXT NOT NULL,
                        manual INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (trigger_id, tick, manual)
                    );
                    INSERT INTO trigger_fire_v2 (id, trigger_id, tick, time, workflow_id, workflow_name)
                    SELECT id, trigger_id, tick, time, workflow_id, workflow_name FROM trigger_fire;
                    DROP TABLE trigger_fire;
                    ALTER TABLE trigger_fire_v2 RENAME TO trigger_fire;

                    CREATE TABLE trigger_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trigger_id INTEGER NOT NULL REFERENCES trigger(id) ON DELETE CASCADE,
                        time REAL NOT NULL,
                        event TEXT NOT NULL,
                        user TEXT,
                        detail TEXT,
                        count INTEGER NOT NULL DEFAULT 1
                    );
                    CREATE INDEX trigger_history_trigger ON trigger_history(trigger_id, id);
                    """)
        }
        migrator.registerMigration("v3-history", migrate: historyIndexes)
        return migrator
    }
}
