import EnsembleCore

extension ChartsRendering {
    /// The charts' data (Pegasus' `/charts/time_chart` and `/charts/gantt_chart` fields where they exist).
    static func json(_ data: ChartsData) -> JSONValue {
        let distribution: [JSONValue] = data.distribution.map { t in
            [
                "name": .string(t.name),
                "count": ["total": .int(t.total), "success": .int(t.success), "failure": .int(t.failure)],
                "time": [
                    "total": .double(t.runtimeTotal), "min": .double(t.runtimeMin), "max": .double(t.runtimeMax),
                    "avg": .double(t.runtimeMean),
                ],
            ]
        }
        let time: [JSONValue] = data.time.map { b in
            [
                "start": .double(b.start), "width": .double(b.width),
                "count": ["job": .int(b.jobs), "invocation": .int(b.invocations)],
                "total_runtime": ["job": .double(b.jobRuntime), "invocation": .double(b.invocationRuntime)],
            ]
        }
        let gantt: JSONValue
        switch data.gantt {
        case .empty:
            gantt = ["mode": "empty"]
        case .detailed(let rows):
            gantt = [
                "mode": "detailed",
                "job_instances": .array(
                    rows.map { r in
                        [
                            "job_instance_id": .int(Int(r.jobInstanceID)), "job_name": .string(r.jobName),
                            "transformation": .string(r.transformation), "exitcode": .int(r.exitcode.map { Int($0) }),
                            "jobS": .double(r.first), "jobDuration": .double(r.last - r.first),
                            "pre_start": .double(r.preStart), "submit": .double(r.submit),
                            "execute": .double(r.execute), "terminated": .double(r.terminated),
                            "post_start": .double(r.postStart), "post_end": .double(r.postEnd),
                            "kickstart_start": .double(r.kickstartStart),
                            "kickstart_duration": .double(r.kickstartDuration),
                        ]
                    }),
            ]
        case .aggregated(let instances, let d):
            gantt = [
                "mode": "aggregated", "job_instances": .int(instances), "start": .double(d.start),
                "bucket_width": .double(d.bucketWidth), "queued": .array(d.queued.map { .double($0) }),
                "running": .array(d.running.map { .double($0) }), "post": .array(d.post.map { .double($0) }),
                "submitted": .array(d.submitted.map { .int($0) }),
                "transformations": .array(
                    d.transformations.map { t in
                        [
                            "name": .string(t.name), "invocations": .int(t.invocations),
                            "running": .array(t.running.map { .double($0) }),
                        ]
                    }),
            ]
        }
        return [
            "wf": StatisticsRendering.workflowJSON(data.workflow), "job_distribution": .array(distribution),
            "time_chart": .array(time), "gantt_chart": gantt,
        ]
    }
}
