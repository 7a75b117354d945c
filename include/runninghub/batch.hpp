// SPDX-License-Identifier: BSL-1.0
#pragma once
// runninghub::batch_runner: many jobs through one client, each with its files
// uploaded, submitted, waited for and (optionally) downloaded, with bounded
// concurrency, an optional crash-safe journal and a graceful stop.
//
// Contract of batch_runner::run(jobs, token):
// - Handler signature: void(error_code, batch_summary). Job failures are not
//   errors of the run: they are counted in the summary and reported per job
//   through batch_options::on_result. The run's own errors: errc::invalid_options
//   (a journal smaller than the batch), operation_aborted (stopped).
// - Jobs are taken in index order by `concurrency` workers; each job is its
//   files' uploads (each distinct file once per run), one submit, one wait
//   and, with download_dir, one download per result file.
// - With a journal, every submit is journalled durably before it goes out, and
//   so are its acceptance, its end and each result file downloaded. A job the
//   journal knows is never submitted again: an accepted task is waited for
//   ("taken over"), an ended one is queried for its results (and their
//   missing downloads), one in doubt (a submit went out, no answer recorded)
//   is reported in doubt.
// - With batch_options::webhook, each submit carries the job's own callback
//   URL; a job whose submit answer was lost (submit_outcome_unknown, no task
//   id) waits up to adopt_timeout for the TASK_END event sent to that URL, and
//   the task it names is journalled as accepted and waited for (`adopted`).
// - Room: before its submit a job waits inside the runner until the client's
//   submit gate has room (client_stats::throttle), so that a stop never finds
//   submissions queued inside the client.
// - Cancellation (the handler's cancellation slot, any type) is a graceful
//   stop: no job is taken any more; jobs uploading or waiting for room are
//   dropped (nothing was sent: not reported, a resumed run submits them); a
//   submit under way finishes (cancelling it after its request went out would
//   lose a task id). Then, per batch_options::on_stop, accepted tasks are
//   waited for (and downloaded) or cancelled at the service; every job with a
//   task id is reported. A second emission stops at once: submits, waits and
//   downloads are cancelled; their jobs are reported in doubt (with their task
//   ids when accepted; a job stopped amid its downloads is left to the journal).
//   The run completes with operation_aborted and the counts.
// - Executor and threads: everything, the callbacks included, runs on the
//   client's executor (its strand). The callbacks must not block for long and
//   must not throw (an exception escapes from io_context::run). The journal's
//   fdatasync happens on that executor too (see docs/design.md).
// - Lifetime: the client, the runner's options (the journal) and the job
//   source must outlive the run.

#include <runninghub/client.hpp>
#include <runninghub/journal.hpp>
#include <runninghub/webhook.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace runninghub {

/// A Standard Model API endpoint ("vendor/endpoint"), called with a job's JSON body.
struct standard_model {
    explicit standard_model(std::string name) : endpoint(std::move(name)) {}
    std::string endpoint;
};

/// A local file uploaded before the job's submit (once per run, however many
/// jobs name it). For an AI app or a workflow its fileName becomes the value of
/// node_id's field; for a model (node_id empty) its download_url becomes the
/// body's `field`.
struct file_input {
    file_input(std::string node, std::string field_name, std::filesystem::path file)
        : node_id(std::move(node)), field(std::move(field_name)), path(std::move(file)) {}
    std::string node_id;
    std::string field;
    std::filesystem::path path;
};

using batch_target = std::variant<ai_app, workflow, standard_model>;

/// One job of a batch: a target and its node inputs (or, for a model, its body).
struct batch_job {
    batch_job(batch_target what, std::vector<node_input> in, run_options ro = {})
        : target(std::move(what)), inputs(std::move(in)), options(std::move(ro)) {}
    batch_target target;
    std::vector<node_input> inputs;
    run_options options;
    boost::json::object body;       // standard_model only: the parameters
    std::vector<file_input> files;  // uploaded first
    std::string id;                 // the caller's name for the job (results files); may be empty
};

/// The jobs of a batch, asked for lazily by index (0 … count-1) when a worker
/// takes one, so that a large batch is never held in memory. Job i must be the
/// same job on every run: a journal knows jobs by their index.
struct RUNNINGHUB_EXPORT batch_jobs {
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
                // a wait that timed out or was stopped, in doubt in the journal)
};

/// The step at which a job ended.
enum class batch_step {
    earlier_run,  // the journal knew it: ended or in doubt in an earlier run
    journal,      // its submit could not be journalled (so it was not sent)
    upload,       // one of its files could not be uploaded (so it was not sent)
    submit,
    wait,
    download,
    done,         // succeeded
};
RUNNINGHUB_EXPORT std::string_view to_string(batch_step s) noexcept;

/// One job's end, handed to batch_options::on_result as it happens.
struct batch_result {
    std::size_t index = 0;
    std::string job_id;                      // batch_job::id
    batch_outcome outcome = batch_outcome::failed;
    batch_step step = batch_step::submit;
    error_code ec;                           // why it did not succeed (empty when it did)
    task t;                                  // the last state seen: id, status, results, usage, diag
    /// One per result file of t.results, same order, when download_dir is set
    /// (a default download_result, empty path, for a file not downloaded).
    std::vector<download_result> files;
    bool taken_over = false;                 // accepted or ended in an earlier run (the journal)
    bool salvaged = false;                   // the submit's answer was unreadable but named this task
    bool adopted = false;                    // the submit's answer was lost; its webhook event named this task
    bool cancel_requested = false;           // stopped with on_stop == cancel_accepted
    bool cancel_confirmed = false;           // and the service accepted the cancel
    error_code journal_error;                // a journal write failed; the job went on
    std::optional<duration> submit_latency;  // from taking the job to its accepted submit
    std::optional<duration> latency;         // from taking the job to seeing its task end
};

/// Counts of a run: a snapshot for progress, the totals at the end.
struct batch_summary {
    std::size_t jobs = 0;
    std::size_t ended = 0;  // succeeded + failed + in_doubt (skipped ones not included)
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    std::size_t in_doubt = 0;
    std::size_t skipped = 0;     // batch_options::skip said so (reported by an earlier run)
    std::size_t in_flight = 0;   // taken and not yet ended
    std::size_t taken_over = 0;  // jobs the journal knew as accepted or ended
    std::size_t files = 0;       // downloaded
    std::uint64_t bytes = 0;
    std::size_t uploads = 0;     // distinct files uploaded
    // From the client's stats (client_stats::throttle) when the snapshot was taken.
    std::size_t waiting = 0;     // submissions waiting for a slot (back-pressure)
    double window = 0;           // the submit window (0: no gate)
    double coins = 0;            // usage.consumeCoins of the tasks reported so far
    std::optional<duration> eta; // the rest at the pace so far (none before the first end)
    duration elapsed{};  // from the start to now (progress) or to the last job's end
    bool stopping = false;  // a stop was asked: no job is taken any more
    bool finished = false;  // the last report of the run
};

/// What a stop does with tasks the service accepted.
enum class batch_stop {
    wait_accepted,    // wait for them (and download their results)
    cancel_accepted,  // cancel them at the service (POST /task/openapi/cancel)
};

struct batch_options {
    std::size_t concurrency = 1;  // jobs in progress at once (1 or more)
    wait_options wait;            // each job's wait
    /// A deadline per job over its wait for room and its wait for the task;
    /// zero: none. On it a job still waiting for room fails (no task), an
    /// accepted task is cancelled at the service; errc::deadline_exceeded.
    /// (The submit itself is bounded by the client's own timeouts.)
    duration job_timeout{};
    batch_stop on_stop = batch_stop::wait_accepted;
    /// Jobs the journal holds in doubt (a request went out, no answer was
    /// recorded) are submitted again instead of reported: their first task may
    /// exist, so this may pay twice. For the user who checked that it does not.
    bool resubmit_in_doubt = false;
    /// Optional, owned by the caller, at least as large as the batch; one run at a time.
    batch_journal* journal = nullptr;
    /// Optional, owned by the caller (attach it to the client too, so that waits
    /// use its events). Each job's submit then carries its own callback URL,
    /// callback_url(ref) with a reference of this run and the job, so that a
    /// task whose submit answer was lost is found by its TASK_END event and
    /// waited for as the job's ("adopted") instead of leaving the job in doubt.
    /// A job's own run_options::webhook_url is left as it is.
    webhook_listener* webhook = nullptr;
    /// How long a job whose submit answer was lost (outcome unknown, no task id)
    /// waits for its event (with `webhook`), from the moment the answer is
    /// known lost; then it is in doubt. The task the event names is adopted
    /// once a query shows it exists and the journal knows it as no other
    /// job's. Zero: no waiting.
    duration adopt_timeout = std::chrono::minutes(10);
    /// Non-empty: each result file goes to result_file_name(...) here (created
    /// by the runner's constructor).
    std::filesystem::path download_dir;
    /// Jobs to leave out, e.g. those a results file already has; not reported.
    std::function<bool(std::size_t index)> skip;
    /// Called as each job ends, in the order they end.
    std::function<void(const batch_result&)> on_result;
    /// Called every progress_interval, and once more with `finished` at the end.
    std::function<void(const batch_summary&)> on_progress;
    duration progress_interval = std::chrono::seconds(1);
};

/// "<task id>-<node id>-<index>.<ext>": where result `index` of a task goes.
/// Characters other than [A-Za-z0-9_-] in those parts become '_', so the
/// service's strings never name another directory; no output type: "bin".
RUNNINGHUB_EXPORT std::string result_file_name(std::string_view task_id, std::string_view node_id, std::size_t index,
                             std::string_view output_type);

class RUNNINGHUB_EXPORT batch_runner {
public:
    using summary_handler = boost::asio::any_completion_handler<void(error_code, batch_summary)>;

    /// Throws runninghub::error: invalid_options (concurrency 0, a non-positive
    /// progress interval, a negative job_timeout or adopt_timeout), file_error (download_dir
    /// cannot be created).
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
