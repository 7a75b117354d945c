#pragma once
// runninghub::batch_runner: many jobs through one client, each submitted,
// waited for and (optionally) downloaded, with bounded concurrency and an
// optional crash-safe journal.
//
// Contract of batch_runner::run(jobs, token):
// - Handler signature: void(error_code, batch_summary). Job failures are not
//   errors of the run: they are counted in the summary and reported per job
//   through batch_options::on_result. The run's own errors: errc::invalid_options
//   (a journal smaller than the batch), operation_aborted (cancelled).
// - Jobs are taken in index order by `concurrency` workers; each job is one
//   run(), one wait() and, with download_dir, one download() per result file.
// - With a journal, every submit is journalled durably before it goes out.
//   A job the journal knows is never submitted again: an accepted task is
//   waited for ("taken over"), an ended one is reported from the journal, one
//   in doubt (a submit went out, no answer recorded) is reported in doubt.
// - Cancellation: terminal only (the handler's cancellation slot). No job is
//   taken any more (those not taken are neither run nor reported); the submits,
//   waits and downloads in progress are cancelled and their jobs reported (a
//   cancelled submit is in doubt: the task may exist; a journal keeps it so).
//   Then the run completes with operation_aborted and the counts so far.
// - Executor and threads: everything, the callbacks included, runs on the
//   client's executor (its strand). The callbacks must not block for long and
//   must not throw (an exception escapes from io_context::run). The journal's
//   fdatasync happens on that executor too (see docs/design.md).
// - Lifetime: the client, the runner's options (the journal) and the job
//   source must outlive the run.

#include <runninghub/client.hpp>
#include <runninghub/journal.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace runninghub {

/// One job of a batch: a target and its node inputs.
struct batch_job {
    batch_job(std::variant<ai_app, workflow> what, std::vector<node_input> in, run_options ro = {})
        : target(std::move(what)), inputs(std::move(in)), options(std::move(ro)) {}
    std::variant<ai_app, workflow> target;
    std::vector<node_input> inputs;
    run_options options;
};

/// The jobs of a batch, asked for lazily by index (0 … count-1) when a worker
/// takes one, so that a large batch is never held in memory. Job i must be the
/// same job on every run: a journal knows jobs by their index.
struct batch_jobs {
    std::size_t count = 0;
    std::function<batch_job(std::size_t index)> job;

    /// The same job `count` times.
    static batch_jobs repeat(batch_job job, std::size_t count);
    /// These jobs, in this order.
    static batch_jobs of(std::vector<batch_job> jobs);
};

/// How a job ended.
enum class batch_outcome {
    succeeded,  // SUCCESS, and its files downloaded when asked
    failed,     // certainly no success: not created, FAILED/CANCEL, or a download failed
    in_doubt,   // a task may exist whose end this run did not see (submit outcome unknown,
                // a wait that timed out or was cancelled, in doubt in the journal)
};

/// The step at which a job ended.
enum class batch_step {
    earlier_run,  // the journal knew it: ended or in doubt in an earlier run
    journal,      // its submit could not be journalled (so it was not sent)
    submit,
    wait,
    download,
    done,         // succeeded
};
std::string_view to_string(batch_step s) noexcept;

/// One job's end, handed to batch_options::on_result as it happens.
struct batch_result {
    std::size_t index = 0;
    batch_outcome outcome = batch_outcome::failed;
    batch_step step = batch_step::submit;
    error_code ec;                           // why it did not succeed (empty when it did)
    task t;                                  // the last state seen: id, status, results, diag
    std::vector<download_result> files;      // downloaded into download_dir
    bool taken_over = false;                 // accepted or ended in an earlier run (the journal)
    error_code journal_error;                // a journal write failed; the job went on
    std::optional<duration> submit_latency;  // from taking the job to its accepted submit
    std::optional<duration> latency;         // from taking the job to seeing its task end
};

/// Counts of a run: a snapshot for progress, the totals at the end.
struct batch_summary {
    std::size_t jobs = 0;
    std::size_t ended = 0;  // succeeded + failed + in_doubt
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    std::size_t in_doubt = 0;
    std::size_t in_flight = 0;   // taken and not yet ended
    std::size_t taken_over = 0;  // jobs the journal knew as accepted or ended
    std::size_t files = 0;       // downloaded
    std::uint64_t bytes = 0;
    duration elapsed{};  // from the start to now (progress) or to the last job's end
    bool finished = false;  // the last report of the run
};

struct batch_options {
    std::size_t concurrency = 1;  // jobs in progress at once (1 or more)
    wait_options wait;            // each job's wait
    /// Optional, owned by the caller, at least as large as the batch; one run at a time.
    batch_journal* journal = nullptr;
    /// Non-empty: each result file goes to "<task id>-<node id>.<output type>" here
    /// (created by the runner's constructor; characters other than [A-Za-z0-9_-]
    /// in those parts become '_', so the service's strings never name another directory).
    std::filesystem::path download_dir;
    /// Called as each job ends, in the order they end.
    std::function<void(const batch_result&)> on_result;
    /// Called every progress_interval, and once more with `finished` at the end.
    std::function<void(const batch_summary&)> on_progress;
    duration progress_interval = std::chrono::seconds(1);
};

class batch_runner {
public:
    using summary_handler = boost::asio::any_completion_handler<void(error_code, batch_summary)>;

    /// Throws runninghub::error: invalid_options (concurrency 0, a non-positive
    /// progress interval), file_error (download_dir cannot be created).
    batch_runner(client& c, batch_options opts);

    /// Runs the batch; see the contract at the top of this header.
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto run(batch_jobs jobs, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, batch_summary)>(
            [this](auto handler, batch_jobs j) { start_run(std::move(j), summary_handler(std::move(handler))); },
            token, std::move(jobs));
    }

    const batch_options& options() const noexcept { return opts_; }

private:
    void start_run(batch_jobs jobs, summary_handler h);

    client& client_;
    batch_options opts_;
};

} // namespace runninghub
