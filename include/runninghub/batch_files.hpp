// SPDX-License-Identifier: BSL-1.0
#pragma once
// The files of a batch as the CLI uses them, for any program: a jobs file
// (JSON Lines, one job per line) read into batch_jobs, and a results file
// (JSON Lines, one line per job as it ends) written durably and read back
// so that a resumed batch appends only what is missing.
//
// A jobs line:
//   {"id":"cat-1","app":"1877265245566922753",
//    "nodeInfoList":[{"nodeId":"9","fieldName":"text","fieldValue":"a cat"}],
//    "files":{"10:image":"in/cat.png"}}
// with "workflow":"…" or "model":"vendor/endpoint","body":{…} instead of
// "app" (a model's "files" name body fields: {"imageUrl":"in/cat.png"} gets
// the upload's download_url); "instanceType" and "usePersonalQueue" are
// optional. "id" defaults to the line number. Relative file paths are taken
// from the jobs file's directory.
//
// A results line:
//   {"id","taskId","status","results":[{"nodeId","outputType","url","text","path"}],
//    "usage":{…},"error":{"code","message","failedReason"}}
// status is the task's (SUCCESS, FAILED, CANCEL, or QUEUED/RUNNING when a
// stop left it running), UNKNOWN when a task may exist that was not seen,
// NOT_CREATED when certainly none exists; error is null on success.

#include <runninghub/batch.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace runninghub {

/// The target of jobs that name none (the CLI's --app / --workflow).
struct job_defaults {
    std::string app;
    std::string workflow;
};

/// One jobs line (`line_number` from 1) into a job. Throws runninghub::error
/// (errc::invalid_options) saying "line N: <problem>": not a JSON object, an
/// unknown key, a missing or wrongly typed field, no target or two. Does not
/// look at the files (read_jobs_file does).
RUNNINGHUB_EXPORT batch_job parse_job_line(std::string_view line, std::size_t line_number, const job_defaults& defaults = {});

/// A whole jobs file: every line checked before anything is used (blank lines
/// skipped), ids unique, every named file readable.
struct jobs_file {
    std::vector<batch_job> jobs;
    std::uint64_t fingerprint = 0;  // of the file's bytes and the defaults: a journal's batch identity
};
/// Throws runninghub::error: file_error (the jobs file cannot be read),
/// invalid_options ("FILE line N: <problem>", the first bad line).
RUNNINGHUB_EXPORT jobs_file read_jobs_file(const std::filesystem::path& file, const job_defaults& defaults = {});

/// The results line of a job (JSON, without the line break).
RUNNINGHUB_EXPORT std::string result_line(const batch_result& r);

/// A results file opened for appending; what it already holds is read first.
class RUNNINGHUB_EXPORT results_file {
public:
    /// Creates the file or reads it (a torn last line is ignored and closed).
    /// Throws runninghub::error (errc::file_error).
    explicit results_file(std::filesystem::path file);
    ~results_file();
    results_file(const results_file&) = delete;
    results_file& operator=(const results_file&) = delete;

    /// The last status written for each job id.
    const std::map<std::string, std::string>& known() const noexcept { return known_; }
    /// The job has a final line: a status other than QUEUED/RUNNING (those a
    /// stop left running; a resumed batch takes the task over and writes again).
    bool has_final(const std::string& job_id) const;
    /// Appends the job's line and makes it durable (fdatasync); errc::file_error.
    error_code append(const batch_result& r);
    const std::filesystem::path& path() const noexcept { return file_; }

private:
    std::filesystem::path file_;
    int fd_ = -1;
    std::map<std::string, std::string> known_;
};

/// The status a results line gives a job ("SUCCESS", "UNKNOWN", "NOT_CREATED" …).
RUNNINGHUB_EXPORT std::string result_status(const batch_result& r);

} // namespace runninghub
