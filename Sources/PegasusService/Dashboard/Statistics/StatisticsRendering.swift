import EnsembleCore
import Foundation

/// The statistics page's HTML tables and JSON documents.
enum StatisticsRendering {
    // MARK: - HTML

    /// The whole page body.
    static func page(_ report: StatisticsReport, base: String, pageLink: (Int) -> String) -> HTML {
        let wf = report.workflow
        let hasSubWorkflows = wf.tree.count > 1
        return """
            <h1>Statistics: \(wf.label)</h1>
            <p class="pager"><a href="\(base)">Workflow</a> <a href="\(base)/charts">Charts</a> \
            <a href="\(base)/statistics?format=json">JSON</a></p>
            <p>Workflow <code>\(wf.wfUUID)</code> (wf_id \(wf.wfID))\(hasSubWorkflows ? HTML(raw: ", \(wf.tree.count - 1) sub-workflow(s)") : "").</p>
            <h2 id="summary">Workflow summary</h2>
            \(summaryTable(report))
            <h2 id="workflow">Workflow Statistics</h2>
            \(countsTable("This workflow", report.individual.counts))
            \(hasSubWorkflows ? countsTable("Including sub-workflows", report.all.counts) : "")
            <h2 id="breakdown">Job Breakdown</h2>
            \(breakdownTable(hasSubWorkflows ? "This workflow" : nil, report.breakdownIndividual))
            \(hasSubWorkflows ? breakdownTable("Including sub-workflows", report.breakdownAll) : "")
            <h2 id="jobs">Job Statistics</h2>
            \(jobsTable(report.jobs, pageLink: pageLink))
            <h2 id="integrity">Integrity Statistics</h2>
            \(integrity("This workflow", report.individual.integrity))
            \(hasSubWorkflows ? integrity("Including sub-workflows", report.all.integrity) : "")
            """
    }

    /// The time summary rows, with both scopes side by side.
    static func summaryTable(_ report: StatisticsReport) -> HTML {
        let (one, all) = (report.individual.times, report.all.times)
        func row(_ title: String, _ a: Double?, _ b: Double?, decimal: Bool = false) -> HTML {
            """
            <tr><th>\(title)</th><td title="\(a.map { StatisticsFormat.fstr($0) } ?? "-") s">\
            \(StatisticsFormat.formatSeconds(a, decimal: decimal))</td>\
            <td title="\(b.map { StatisticsFormat.fstr($0) } ?? "-") s">\
            \(StatisticsFormat.formatSeconds(b, decimal: decimal))</td></tr>
            """
        }
        return """
            <table class="summary"><tr><th></th><th>This workflow</th><th>Including sub-workflows</th></tr>
            \(row("Workflow wall time", one.wallTime, all.wallTime, decimal: true))
            \(row("Cumulative job wall time", one.cumulativeJobWallTime, all.cumulativeJobWallTime))
            \(row("Cumulative job wall time as seen from submit side", one.submitSideWallTime, all.submitSideWallTime))
            \(row("Cumulative job badput wall time", one.cumulativeBadput, all.cumulativeBadput))
            \(row("Cumulative job badput wall time as seen from submit side", one.submitSideBadput, all.submitSideBadput))
            <tr><th>Workflow retries</th><td class="num">\(one.retries)</td><td class="num">\(all.retries)</td></tr>
            </table>
            """
    }

    /// Tasks / Jobs / Sub-Workflows of one scope.
    static func countsTable(_ caption: String, _ counts: StatisticsWorkflowCounts) -> HTML {
        func row(_ title: String, _ c: StatisticsCounts) -> HTML {
            """
            <tr><th>\(title)</th><td class="num">\(c.succeeded)</td><td class="num">\(c.failed)</td>\
            <td class="num">\(c.incomplete)</td><td class="num">\(c.total)</td><td class="num">\(c.retries)</td>\
            <td class="num">\(c.totalPlusRetries)</td></tr>
            """
        }
        return """
            <table class="workflow-statistics"><caption>\(caption) (workflow retries: \(counts.workflowRetries))</caption>
            <tr><th>Type</th><th class="num">Succeeded</th><th class="num">Failed</th><th class="num">Incomplete</th>\
            <th class="num">Total</th><th class="num">Retries</th><th class="num">Total+Retries</th></tr>
            \(row("Tasks", counts.tasks))
            \(row("Jobs", counts.jobs))
            \(row("Sub-Workflows", counts.subWorkflows))
            </table>
            """
    }

    /// breakdown.txt as a table.
    static func breakdownTable(_ caption: String?, _ rows: [StatisticsBreakdownRow]) -> HTML {
        let head: [HTML] = StatisticsBreakdownRow.columns.map { "<th>\($0)</th>" }
        let body: [HTML] = rows.map { row in
            let cells: [HTML] = row.formatted.enumerated().map { index, text in
                index < 2 ? "<td>\(text)</td>" : "<td class=\"num\">\(text)</td>"
            }
            return "<tr>\(cells)</tr>\n"
        }
        let title: HTML = caption.map { "<caption>\($0)</caption>" } ?? ""
        if rows.isEmpty { return "<p>\(caption.map { $0 + ": " } ?? "")No invocations.</p>" }
        return "<table class=\"breakdown\">\(title)<tr>\(head)</tr>\n\(body)</table>"
    }

    /// One page of jobs.txt with the pager.
    static func jobsTable(_ jobs: StatisticsJobPage, pageLink: (Int) -> String) -> HTML {
        let head: [HTML] = StatisticsJobRow.columns.map { "<th>\($0)</th>" }
        let body: [HTML] = jobs.rows.map { row in
            let cells: [HTML] = row.formatted.enumerated().map { index, text in
                [0, 2, 14].contains(index) ? "<td>\(text)</td>" : "<td class=\"num\">\(text)</td>"
            }
            return "<tr>\(cells)</tr>\n"
        }
        let first = (jobs.page - 1) * jobs.perPage + 1
        let last = min(jobs.total, first + jobs.rows.count - 1)
        var pager: [HTML] = []
        if jobs.page > 1 {
            pager.append("<a href=\"\(pageLink(1))#jobs\">First</a>")
            pager.append("<a href=\"\(pageLink(jobs.page - 1))#jobs\" rel=\"prev\">Previous</a>")
        }
        pager.append("<span>Page \(jobs.page) of \(jobs.pageCount)</span>")
        if jobs.page < jobs.pageCount {
            pager.append("<a href=\"\(pageLink(jobs.page + 1))#jobs\" rel=\"next\">Next</a>")
            pager.append("<a href=\"\(pageLink(jobs.pageCount))#jobs\">Last</a>")
        }
        let range: HTML =
            jobs.rows.isEmpty
            ? "<p>No job instances on this page (\(jobs.total) in all).</p>"
            : "<p>Job instances \(first)-\(last) of \(jobs.total), in submission order.</p>"
        return """
            \(range)
            <table class="jobs"><tr>\(head)</tr>
            \(body)</table>
            <p class="pager">\(pager.map { $0 + " " })</p>
            """
    }

    /// Integrity rows and the summary lines of pegasus-statistics.
    static func integrity(_ caption: String, _ integrity: StatisticsIntegrity) -> HTML {
        let rows: [HTML] = integrity.rows.map { row in
            """
            <tr><td>\(row.type)</td><td>\(row.fileType ?? "-")</td><td class="num">\(row.count)</td>\
            <td class="num">\(String(format: "%.3f", row.duration))</td></tr>\n
            """
        }
        let lines: [HTML] = integrity.byType.map { item in
            let verb = item.type == "check" ? "compared" : item.type == "compute" ? "generated" : item.type
            return """
                <li>\(item.count) files checksums \(verb) with total duration of \
                \(StatisticsFormat.formatSeconds(item.duration, decimal: true))</li>
                """
        }
        return """
            <table class="integrity"><caption>\(caption)</caption>
            <tr><th>Type</th><th>File Type</th><th class="num">Count</th><th class="num">Total Duration</th></tr>
            \(rows)</table>
            <ul>\(lines)<li>A total of \(integrity.errors) integrity errors encountered</li>\
            <li>\(integrity.failedJobs) job failures had integrity errors</li></ul>
            """
    }

    // MARK: - JSON

    /// Everything, for `?format=json`.
    static func json(_ report: StatisticsReport) -> JSONValue {
        [
            "wf": workflowJSON(report.workflow),
            "summary": summaryJSON(individual: report.individual.times, all: report.all.times),
            "workflow": countsJSON(
                individual: report.individual.counts, all: report.all.counts, perWorkflow: report.perWorkflow),
            "job_breakdown": breakdownJSON(individual: report.breakdownIndividual, all: report.breakdownAll),
            "job": jobsJSON(report.jobs),
            "integrity": integrityJSON(individual: report.individual.integrity, all: report.all.integrity),
        ]
    }

    /// The workflow the page is about.
    static func workflowJSON(_ wf: StatisticsWorkflow) -> JSONValue {
        [
            "wf_id": .int(Int(wf.wfID)), "wf_uuid": .string(wf.wfUUID), "dax_label": .string(wf.label),
            "parent_wf_id": .int(wf.parentID.map { Int($0) }), "root_wf_id": .string(wf.rootID),
            "sub_workflow_ids": .array(wf.tree.dropFirst().map { .int(Int($0)) }),
        ]
    }

    /// Pegasus' `/statistics/summary` keys (strings by `time_to_str`, this workflow alone), with the seconds and
    /// the scope including sub-workflows.
    static func summaryJSON(individual: StatisticsTimes, all: StatisticsTimes) -> JSONValue {
        func times(_ t: StatisticsTimes) -> [String: JSONValue] {
            let values: [(String, Double?)] = [
                ("wall-time", t.wallTime), ("cum-time", t.cumulativeJobWallTime),
                ("cum-badput-time", t.cumulativeBadput), ("job-cum-time", t.submitSideWallTime),
                ("job-cum-badput-time", t.submitSideBadput),
            ]
            var object: [String: JSONValue] = ["retry-count": .int(t.retries)]
            var seconds: [String: JSONValue] = [:]
            for (key, value) in values {
                object[key] = .string(StatisticsFormat.timeToString(value))
                seconds[key] = .double(value)
            }
            seconds["cum-goodput-time"] = .double(t.cumulativeGoodput)
            seconds["job-cum-goodput-time"] = .double(t.submitSideGoodput)
            object["seconds"] = .object(seconds)
            return object
        }
        var object = times(individual)
        object["including_sub_workflows"] = .object(times(all))
        return .object(object)
    }

    /// Pegasus' `/statistics/workflow`: `{"individual": [tasks, jobs, sub-workflows], "all": [...]}`.
    static func countsJSON(
        individual: StatisticsWorkflowCounts, all: StatisticsWorkflowCounts,
        perWorkflow: [(wfID: Int64, counts: StatisticsWorkflowCounts)]
    ) -> JSONValue {
        func scope(_ c: StatisticsWorkflowCounts) -> JSONValue {
            func part(_ counts: StatisticsCounts, _ keys: [String]) -> JSONValue {
                let values = [
                    counts.total, counts.succeeded, counts.failed, counts.incomplete, counts.retries,
                    counts.totalPlusRetries,
                ]
                return .object(Dictionary(uniqueKeysWithValues: zip(keys, values.map { JSONValue.int($0) })))
            }
            return [
                part(
                    c.tasks,
                    [
                        "total_tasks", "total_succeeded_tasks", "total_failed_tasks", "total_unsubmitted_tasks",
                        "total_task_retries", "total_task_invocations",
                    ]),
                part(
                    c.jobs,
                    [
                        "total_jobs", "total_succeeded_jobs", "total_failed_jobs", "total_unsubmitted_jobs",
                        "total_job_retries", "total_job_invocations",
                    ]),
                part(
                    c.subWorkflows,
                    [
                        "total_sub_wfs", "total_succeeded_sub_wfs", "total_failed_sub_wfs",
                        "total_unsubmitted_sub_wfs", "total_sub_wfs_retries", "total_sub_wfs_invocations",
                    ]),
            ]
        }
        return [
            "individual": scope(individual), "all": scope(all),
            "workflow_retries": ["individual": .int(individual.workflowRetries), "all": .int(all.workflowRetries)],
            "per_workflow": .array(
                perWorkflow.map { item in
                    [
                        "wf_id": .int(Int(item.wfID)), "statistics": scope(item.counts),
                        "workflow_retries": .int(item.counts.workflowRetries),
                    ]
                }),
        ]
    }

    /// The job breakdown of both scopes, raw numbers (seconds, KiB, CPU fractions).
    static func breakdownJSON(individual: [StatisticsBreakdownRow], all: [StatisticsBreakdownRow]) -> JSONValue {
        func row(_ r: StatisticsBreakdownRow) -> JSONValue {
            [
                "transformation": .string(r.transformation), "type": .string(r.type), "count": .int(r.count),
                "min": .double(r.min), "max": .double(r.max), "avg": .double(r.mean), "sum": .double(r.total),
                "min_maxrss": .double(r.minMaxRSS), "max_maxrss": .double(r.maxMaxRSS),
                "avg_maxrss": .double(r.meanMaxRSS), "min_avg_cpu": .double(r.minAvgCPU),
                "max_avg_cpu": .double(r.maxAvgCPU), "avg_avg_cpu": .double(r.meanAvgCPU),
            ]
        }
        return ["individual": .array(individual.map(row)), "all": .array(all.map(row))]
    }

    /// One page of the job statistics with its paging metadata.
    static func jobsJSON(_ jobs: StatisticsJobPage) -> JSONValue {
        let records: [JSONValue] = jobs.rows.map { r in
            [
                "job_id": .int(Int(r.jobID)), "job_instance_id": .int(Int(r.jobInstanceID)),
                "job_name": .string(r.name), "try": .int(r.attempt), "site": .string(r.site),
                "kickstart": .double(r.kickstart), "multiplier_factor": .int(r.multiplier.map { Int($0) }),
                "kickstart_multi": .double(r.kickstartTimesMultiplier), "remote_cpu_time": .double(r.cpuTime),
                "post_time": .double(r.post), "condor_q_time": .double(r.condorQueueTime),
                "resource_delay": .double(r.resourceDelay), "runtime": .double(r.runtime),
                "seqexec": .double(r.seqexec), "seqexec_delay": .double(r.seqexecDelay),
                "exitcode": .int(r.exitcode.map { Int($0) }), "host_name": .string(r.hostname),
            ]
        }
        return [
            "records": .array(records),
            "_meta": [
                "page": .int(jobs.page), "per_page": .int(jobs.perPage), "pages": .int(jobs.pageCount),
                "records_total": .int(jobs.total),
            ],
        ]
    }

    /// Pegasus' `/statistics/integrity`: `{"individual": [...], "all": [...]}` plus the error counts.
    static func integrityJSON(individual: StatisticsIntegrity, all: StatisticsIntegrity) -> JSONValue {
        func rows(_ i: StatisticsIntegrity) -> JSONValue {
            .array(
                i.rows.map {
                    [
                        "type": .string($0.type), "file_type": .string($0.fileType), "count": .int($0.count),
                        "duration": .double($0.duration),
                    ]
                })
        }
        return [
            "individual": rows(individual), "all": rows(all),
            "errors": ["individual": .int(individual.errors), "all": .int(all.errors)],
            "failed_jobs_with_errors": ["individual": .int(individual.failedJobs), "all": .int(all.failedJobs)],
        ]
    }
}
