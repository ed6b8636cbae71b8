import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// Jobs, job instances, job states, tasks, hosts and invocations under `/root/<m>/workflow/<w>/...`, checked
/// against the fixture manifest.
@Suite struct MonitoringJobTests {
    static func base(_ fixture: MonitoringFixture, _ label: String) throws -> String {
        "\(MonitoringClient.base)/root/\(try fixture.masterID(label))/workflow/\(try fixture.stampedeID(label))"
    }

    @Test func jobsOfAWorkflow() async throws {
        let fixture = try MonitoringFixture.load()
        let base = try Self.base(fixture, "medium")
        let jobs = try await MonitoringClient.get("\(base)/job?max-results=20", fixture)
        #expect(jobs.status == .ok)
        #expect(jobs.total == (try fixture.count("medium", "jobs")))
        #expect(jobs.filtered == jobs.total)
        #expect(jobs.records.count == 20)
        let first = try #require(jobs.records.first)
        #expect(first["clustered"] is Bool)
        #expect(
            Set(first.keys) == [
                "job_id", "wf_id", "exec_job_id", "submit_file", "type_desc", "clustered", "max_retries", "executable",
                "argv", "task_count",
            ])
        let jobID = try #require(first["job_id"] as? Int)
        let single = try await MonitoringClient.get("\(base)/job/\(jobID)", fixture)
        #expect(single.status == .ok)
        #expect(single.object["exec_job_id"] as? String == first["exec_job_id"] as? String)

        // A job of a sub-workflow is not a job of the root workflow; ids must be integers.
        let sub = try #require(try fixture.subWorkflows("medium").first)
        let subID = try #require(sub["stampede_wf_id"] as? Int)
        let subJobs = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root/\(try fixture.masterID("medium"))/workflow/\(subID)/job?max-results=1",
            fixture)
        #expect(subJobs.total == ((sub["counts"] as? [String: Any])?["jobs"] as? Int))
        let subJob = try #require(subJobs.ints("job_id").first)
        #expect(try await MonitoringClient.get("\(base)/job/\(subJob)", fixture).status == .notFound)
        for bad in ["abc", "-1", "1.5", "99999999999999999999999"] {
            let response = try await MonitoringClient.get("\(base)/job/\(bad)", fixture)
            #expect(response.status == .notFound, "job/\(bad)")
            #expect(response.code == "NOT_FOUND")
        }
    }

    @Test(arguments: [
        ("medium", "running"), ("medium", "failed"), ("medium", "failing"), ("running", "running"),
        ("running", "failed"), ("running", "failing"),
    ])
    func jobsByStatus(label: String, status: String) async throws {
        let fixture = try MonitoringFixture.load()
        let response = try await MonitoringClient.get("\(try Self.base(fixture, label))/job/\(status)", fixture)
        #expect(response.status == .ok)
        let expected = try fixture.jobsOfInterest(label, status)
        #expect(response.total == expected.count)
        #expect(response.total == (try fixture.count(label, status)))
        #expect(Set(response.strings("exec_job_id")) == Set(expected))
        for record in response.records {
            let instance = try #require(record["job_instance"] as? [String: Any])
            #expect(instance["stdout_text"] == nil && instance["stderr_text"] == nil)
            #expect(instance["job_id"] as? Int == record["job_id"] as? Int)
            switch status {
            case "running": #expect(instance["exitcode"] is NSNull)
            case "failed", "failing": #expect((instance["exitcode"] as? Int ?? 0) != 0)
            default: break
            }
        }
    }

    @Test func successfulJobs() async throws {
        let fixture = try MonitoringFixture.load()
        for label in ["small", "medium", "running"] {
            let response = try await MonitoringClient.get(
                "\(try Self.base(fixture, label))/job/successful?max-results=5", fixture)
            #expect(response.status == .ok)
            #expect(response.total == (try fixture.count(label, "succeeded")))
            #expect(response.records.allSatisfy { ($0["job_instance"] as? [String: Any])?["exitcode"] as? Int == 0 })
        }
    }

    @Test func jobInstancesStatesAndInvocations() async throws {
        let fixture = try MonitoringFixture.load()
        let base = try Self.base(fixture, "small")
        let jobs = try await MonitoringClient.get("\(base)/job", fixture)
        var instances = 0
        var states = 0
        var invocations = 0
        for jobID in jobs.ints("job_id") {
            let list = try await MonitoringClient.get("\(base)/job/\(jobID)/job-instance", fixture)
            #expect(list.status == .ok)
            instances += list.total ?? 0
            for instanceID in list.ints("job_instance_id") {
                let state = try await MonitoringClient.get(
                    "\(base)/job/\(jobID)/job-instance/\(instanceID)/state", fixture)
                #expect(state.status == .ok)
                #expect(state.ints("job_instance_id").allSatisfy { $0 == instanceID })
                states += state.total ?? 0
                let invocation = try await MonitoringClient.get(
                    "\(base)/job/\(jobID)/job-instance/\(instanceID)/invocation", fixture)
                #expect(invocation.status == .ok)
                #expect(invocation.ints("job_instance_id").allSatisfy { $0 == instanceID })
                invocations += invocation.total ?? 0
                let single = try await MonitoringClient.get("\(base)/job-instance/\(instanceID)", fixture)
                #expect(single.status == .ok)
                #expect(single.object["job_id"] as? Int == jobID)
                #expect(single.object.keys.contains("stdout_text"))
            }
        }
        #expect(instances == (try fixture.count("small", "job_instances")))
        #expect(states == (try fixture.count("small", "jobstates")))
        #expect(invocations == (try fixture.count("small", "invocations")))

        // An instance under the wrong job, and a job of no such id, are 404.
        let ids = jobs.ints("job_id")
        let other = try await MonitoringClient.get("\(base)/job/\(ids[0])/job-instance", fixture)
        let instanceID = try #require(other.ints("job_instance_id").first)
        let wrong = try await MonitoringClient.get("\(base)/job/\(ids[1])/job-instance/\(instanceID)/state", fixture)
        #expect(wrong.status == .notFound)
        #expect(try await MonitoringClient.get("\(base)/job/424242/job-instance", fixture).status == .notFound)
        #expect(try await MonitoringClient.get("\(base)/job-instance/424242", fixture).status == .notFound)
    }

    @Test func recentJobInstanceOfARetriedJob() async throws {
        let fixture = try MonitoringFixture.load()
        let base = try Self.base(fixture, "medium")
        let name = try #require(try fixture.jobsOfInterest("medium", "retried_then_succeeded").first)
        let jobs = try await MonitoringClient.get(
            "\(base)/job?query=\(MonitoringClient.encode("j.exec_job_id == '\(name)'"))", fixture)
        let jobID = try #require(jobs.ints("job_id").first)
        let all = try await MonitoringClient.get("\(base)/job/\(jobID)/job-instance", fixture)
        #expect((all.total ?? 0) > 1)
        let seqs = all.ints("job_submit_seq")
        #expect(seqs == seqs.sorted())
        let recent = try await MonitoringClient.get("\(base)/job/\(jobID)/job-instance?recent=true", fixture)
        #expect(recent.status == .ok)
        #expect(recent.total == all.total)
        #expect(recent.filtered == 1)
        let latest = try #require(seqs.max())
        #expect(recent.ints("job_submit_seq") == [latest])
        #expect(recent.records.first?["exitcode"] as? Int == 0)
        let invalid = try await MonitoringClient.get("\(base)/job/\(jobID)/job-instance?recent=yes", fixture)
        #expect(invalid.status == .badRequest && invalid.code == "INVALID_QUERY_ARGUMENT")
    }

    @Test func tasksAndTaskMeta() async throws {
        let fixture = try MonitoringFixture.load()
        let medium = try Self.base(fixture, "medium")
        let tasks = try await MonitoringClient.get("\(medium)/task?max-results=3", fixture)
        #expect(tasks.status == .ok)
        #expect(tasks.total == (try fixture.count("medium", "tasks")))
        let taskID = try #require(tasks.ints("task_id").first)
        let task = try await MonitoringClient.get("\(medium)/task/\(taskID)", fixture)
        #expect(task.status == .ok && task.object["task_id"] as? Int == taskID)

        // A clustered job has task_count tasks.
        let clustered = try await MonitoringClient.get(
            "\(medium)/job?query=\(MonitoringClient.encode("j.clustered == True"))", fixture)
        let clusteredJobs = try #require(try fixture.workflow("medium")["clustered_jobs"] as? [Any])
        #expect(clustered.filtered == clusteredJobs.count)
        for job in clustered.records {
            let jobID = try #require(job["job_id"] as? Int)
            let jobTasks = try await MonitoringClient.get("\(medium)/job/\(jobID)/task", fixture)
            #expect(jobTasks.total == job["task_count"] as? Int)
            #expect(jobTasks.ints("job_id").allSatisfy { $0 == jobID })
        }

        // Task metadata adds up to the table over the workflow's tasks.
        let small = try Self.base(fixture, "small")
        let smallTasks = try await MonitoringClient.get("\(small)/task", fixture)
        var meta = 0
        for id in smallTasks.ints("task_id") {
            let response = try await MonitoringClient.get("\(small)/task/\(id)/meta", fixture)
            #expect(response.status == .ok)
            #expect(response.ints("task_id").allSatisfy { $0 == id })
            meta += response.total ?? 0
        }
        #expect(meta == (try fixture.tableRows("small", "task_meta")))
        #expect(try await MonitoringClient.get("\(small)/task/424242", fixture).status == .notFound)
        #expect(try await MonitoringClient.get("\(small)/task/424242/meta", fixture).status == .notFound)
    }

    @Test func hostsAndInvocations() async throws {
        let fixture = try MonitoringFixture.load()
        for label in ["small", "large"] {
            let hosts = try await MonitoringClient.get("\(try Self.base(fixture, label))/host", fixture)
            #expect(hosts.status == .ok)
            #expect(hosts.total == (try fixture.workflow(label)["hosts"] as? Int))
        }
        let base = try Self.base(fixture, "medium")
        let hosts = try await MonitoringClient.get("\(base)/host", fixture)
        let host = try #require(hosts.records.first)
        let single = try await MonitoringClient.get("\(base)/host/\(try #require(host["host_id"] as? Int))", fixture)
        #expect(single.status == .ok && single.object["hostname"] as? String == host["hostname"] as? String)
        #expect(try await MonitoringClient.get("\(base)/host/424242", fixture).status == .notFound)

        let invocations = try await MonitoringClient.get("\(base)/invocation?max-results=2", fixture)
        #expect(invocations.status == .ok)
        #expect(invocations.total == (try fixture.count("medium", "invocations")))
        let invocation = try #require(invocations.records.first)
        #expect(invocation["remote_duration"] is Double && invocation["start_time"] is Double)
        let id = try #require(invocation["invocation_id"] as? Int)
        let one = try await MonitoringClient.get("\(base)/invocation/\(id)", fixture)
        #expect(one.status == .ok && one.object["invocation_id"] as? Int == id)
        #expect(try await MonitoringClient.get("\(base)/invocation/424242", fixture).status == .notFound)
    }

    @Test func hostileTextIsValidJSON() async throws {
        let fixture = try MonitoringFixture.load()
        let base = try Self.base(fixture, "hostile")
        let jobs = try await MonitoringClient.get("\(base)/job", fixture)
        #expect(jobs.status == .ok)
        #expect(jobs.strings("exec_job_id").contains("hostile<b>bold_ID0000004"))
        let injection = try #require(try fixture.workflow("hostile")["injection"] as? [String: Any])
        let injected = try #require(injection["jobs"] as? [[String: Any]])
        for job in injected {
            let id = try #require(job["job_instance_id"] as? Int)
            let response = try await MonitoringClient.get("\(base)/job-instance/\(id)", fixture)
            #expect(response.status == .ok)
            #expect(response.json != nil, "valid JSON")
            #expect(response.object["stdout_text"] is String)
        }
    }
}
