#include <runninghub/batch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <cctype>
#include <memory>

namespace asio = boost::asio;

namespace runninghub {

std::string_view to_string(batch_step s) noexcept {
    switch (s) {
    case batch_step::earlier_run: return "earlier run";
    case batch_step::journal: return "journal";
    case batch_step::submit: return "submit";
    case batch_step::wait: return "wait";
    case batch_step::download: return "download";
    case batch_step::done: return "done";
    }
    return "unknown";
}

batch_jobs batch_jobs::repeat(batch_job job, std::size_t count) {
    return {count, [job = std::move(job)](std::size_t) { return job; }};
}

batch_jobs batch_jobs::of(std::vector<batch_job> jobs) {
    auto shared = std::make_shared<const std::vector<batch_job>>(std::move(jobs));
    return {shared->size(), [shared](std::size_t i) { return (*shared)[i]; }};
}

namespace {

constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
using journal_state = batch_journal::state;

/// One run: its coroutines share it, all on the client's strand.
struct run_state {
    run_state(client& cl, batch_options o, batch_jobs j)
        : c(cl), opts(std::move(o)), jobs(std::move(j)), joined(c.get_executor()), ticker(c.get_executor()) {
        counts.jobs = jobs.count;
    }
    client& c;
    batch_options opts;
    batch_jobs jobs;
    batch_summary counts;
    time_point start = clock::now();
    std::size_t next = 0;     // the next job to take
    std::size_t workers = 0;  // still running
    bool stopping = false;    // cancelled: take no job, start no step
    bool finished = false;
    std::unique_ptr<asio::cancellation_signal[]> signals;  // one per worker
    asio::steady_timer joined;  // a condition variable: cancelled when the last worker ends
    asio::steady_timer ticker;

    batch_summary snapshot() const {
        auto s = counts;
        s.in_flight = next - counts.ended;
        if (s.ended < s.jobs)
            s.elapsed = clock::now() - start;
        return s;
    }
};
using state_ptr = std::shared_ptr<run_state>;

/// A job the journal knows as ended or in doubt: reported, never submitted again.
std::optional<batch_result> known_from_journal(const run_state& s, std::size_t i) {
    if (!s.opts.journal)
        return std::nullopt;
    const auto& item = (*s.opts.journal)[i];
    if (item.st != journal_state::ended && item.st != journal_state::in_doubt)
        return std::nullopt;
    batch_result r;
    r.index = i;
    r.step = batch_step::earlier_run;
    r.t.id = item.task_id;
    if (item.st == journal_state::in_doubt) {
        r.outcome = batch_outcome::in_doubt;
        r.ec = make_error_code(errc::submit_outcome_unknown);
        return r;
    }
    r.taken_over = true;
    r.t.status = parse_task_status(item.status);
    r.t.status_text = item.status;
    if (r.t.status == task_status::success) {
        r.outcome = batch_outcome::succeeded;
    } else {
        r.outcome = batch_outcome::failed;
        r.ec = make_error_code(r.t.status == task_status::cancel ? errc::task_cancelled : errc::task_failed);
    }
    return r;
}

/// A step not started because the run is stopping: the job's task, if any, may still run.
bool stopped(const run_state& s, batch_result& r, batch_step step) {
    if (!s.stopping)
        return false;
    r.step = step;
    r.ec = asio::error::operation_aborted;
    r.outcome = r.t.id.empty() ? batch_outcome::failed : batch_outcome::in_doubt;
    return true;
}

/// Journals the submit, then submits job i; true when the service accepted it.
asio::awaitable<bool> submit(state_ptr s, std::size_t i, batch_result& r) {
    auto* journal = s->opts.journal;
    r.step = batch_step::journal;
    if (journal && (r.ec = journal->submitting(i)))
        co_return false;  // not sent: certainly not created
    r.step = batch_step::submit;
    auto job = s->jobs.job(i);
    std::tuple<error_code, task> answer;
    if (auto* wf = std::get_if<workflow>(&job.target))
        answer = co_await s->c.run(*wf, std::move(job.inputs), std::move(job.options), tuple);
    else
        answer = co_await s->c.run(std::get<ai_app>(job.target), std::move(job.inputs), std::move(job.options), tuple);
    std::tie(r.ec, r.t) = std::move(answer);
    // A cancelled submit may have gone out: like an unknown outcome, the task may exist.
    bool maybe_created = r.ec == errc::submit_outcome_unknown || r.ec == asio::error::operation_aborted;
    if (journal) {
        auto jec = !r.ec            ? journal->accepted(i, r.t.id)
                   : maybe_created ? journal->unknown(i)
                   : (r.ec == errc::task_failed && !r.t.id.empty()) ? journal->ended(i, "FAILED")
                                                                     : journal->not_created(i);
        if (jec)
            r.journal_error = jec;
    }
    if (r.ec)
        r.outcome = maybe_created ? batch_outcome::in_doubt : batch_outcome::failed;
    co_return !r.ec;
}

/// Waits for the job's task; true when it is SUCCESS. Its end is journalled.
asio::awaitable<bool> wait_for(state_ptr s, std::size_t i, batch_result& r) {
    r.step = batch_step::wait;
    auto [ec, done] = co_await s->c.wait(r.t.id, s->opts.wait, tuple);
    if (done.id.empty())
        done.id = r.t.id;
    r.ec = ec;
    r.t = std::move(done);
    bool ended = !ec || ec == errc::task_failed || ec == errc::task_cancelled;
    if (s->opts.journal && ended)
        if (auto jec = s->opts.journal->ended(i, to_string(r.t.status)); jec && !r.journal_error)
            r.journal_error = jec;
    if (ec)
        r.outcome = ended ? batch_outcome::failed : batch_outcome::in_doubt;
    co_return !ec;
}

/// `s` as part of a file name: the service's strings never name another directory.
std::string file_part(std::string_view s) {
    std::string out(s);
    for (auto& ch : out)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
            ch = '_';
    return out;
}

/// Downloads every result file into download_dir; true when all arrived.
asio::awaitable<bool> fetch(state_ptr s, batch_result& r) {
    r.step = batch_step::download;
    for (auto& f : r.t.results) {
        if (stopped(*s, r, batch_step::download)) {
            r.outcome = batch_outcome::failed;  // the task ended: only files are missing
            co_return false;
        }
        // Named after the task, so that tasks never overwrite each other's files.
        auto name = file_part(r.t.id) + "-" + file_part(f.node_id) + "." +
                    (f.output_type.empty() ? "bin" : file_part(f.output_type));
        auto [ec, d] = co_await s->c.download(f, s->opts.download_dir / name, {}, tuple);
        if (ec) {
            r.ec = ec;
            r.t.diag = d.diag;
            r.outcome = batch_outcome::failed;
            co_return false;
        }
        r.files.push_back(std::move(d));
    }
    co_return true;
}

/// Job i from start to end: the journal first, then submit, wait, download.
asio::awaitable<batch_result> run_job(state_ptr s, std::size_t i) {
    if (auto known = known_from_journal(*s, i))
        co_return std::move(*known);
    batch_result r;
    r.index = i;
    auto t0 = clock::now();
    if (s->opts.journal && (*s->opts.journal)[i].st == journal_state::accepted) {
        r.taken_over = true;  // accepted before a crash: waited for, not paid for twice
        r.t.id = (*s->opts.journal)[i].task_id;
    } else {
        bool accepted = co_await submit(s, i, r);
        if (!accepted)
            co_return r;
    }
    r.submit_latency = clock::now() - t0;
    if (stopped(*s, r, batch_step::wait))
        co_return r;
    bool success = co_await wait_for(s, i, r);
    if (!success)
        co_return r;
    r.latency = clock::now() - t0;
    if (!s->opts.download_dir.empty()) {
        bool fetched = co_await fetch(s, r);
        if (!fetched)
            co_return r;
    }
    r.step = batch_step::done;
    r.outcome = batch_outcome::succeeded;
    co_return r;
}

void count(run_state& s, const batch_result& r) {
    auto& n = s.counts;
    ++n.ended;
    switch (r.outcome) {
    case batch_outcome::succeeded: ++n.succeeded; break;
    case batch_outcome::failed: ++n.failed; break;
    case batch_outcome::in_doubt: ++n.in_doubt; break;
    }
    n.taken_over += r.taken_over;
    n.files += r.files.size();
    for (auto& f : r.files)
        n.bytes += f.bytes;
    if (n.ended == n.jobs)
        n.elapsed = clock::now() - s.start;  // the run's time ends with its last job
}

asio::awaitable<void> work(state_ptr s) {
    co_await asio::this_coro::throw_if_cancelled(false);  // each step looks at its own error
    while (!s->stopping && s->next < s->jobs.count) {
        auto r = co_await run_job(s, s->next++);
        count(*s, r);
        if (s->opts.on_result)
            s->opts.on_result(r);
    }
}

asio::awaitable<void> tick(state_ptr s) {
    while (!s->finished) {
        s->ticker.expires_after(s->opts.progress_interval);
        co_await s->ticker.async_wait(tuple);
        if (!s->finished)
            s->opts.on_progress(s->snapshot());
    }
}

/// Starts the workers and waits for them; on a cancellation, stops them first.
asio::awaitable<std::pair<error_code, batch_summary>> run_all(state_ptr s) {
    co_await asio::this_coro::throw_if_cancelled(false);
    auto ex = s->c.get_executor();
    std::size_t n = std::min(s->opts.concurrency, s->jobs.count);
    s->signals = std::make_unique<asio::cancellation_signal[]>(n);
    for (std::size_t w = 0; w < n; ++w, ++s->workers)
        asio::co_spawn(ex, work(s), asio::bind_cancellation_slot(s->signals[w].slot(), [s](std::exception_ptr ep) {
                           if (ep)
                               std::rethrow_exception(ep);  // a callback threw: out of io_context::run
                           if (--s->workers == 0)
                               s->joined.cancel();
                       }));
    if (s->opts.on_progress)
        asio::co_spawn(ex, tick(s), asio::detached);
    error_code result;
    for (;;) {
        asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) {
            if (!s->stopping)
                for (std::size_t w = 0; w < n; ++w)
                    s->signals[w].emit(asio::cancellation_type::terminal);
            s->stopping = true;
            result = asio::error::operation_aborted;
            co_await asio::this_coro::reset_cancellation_state();
        }
        if (s->workers == 0)
            break;
        s->joined.expires_at(asio::steady_timer::time_point::max());
        co_await s->joined.async_wait(tuple);
    }
    s->finished = true;
    s->ticker.cancel();
    auto summary = s->snapshot();
    summary.finished = true;
    if (s->opts.on_progress)
        s->opts.on_progress(summary);
    co_return std::pair{result, summary};
}

} // namespace

batch_runner::batch_runner(client& c, batch_options opts) : client_(c), opts_(std::move(opts)) {
    if (opts_.concurrency == 0)
        throw error(make_error_code(errc::invalid_options), "batch_options::concurrency must be 1 or more");
    if (opts_.progress_interval <= duration::zero())
        throw error(make_error_code(errc::invalid_options), "batch_options::progress_interval must be positive");
    if (!opts_.download_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(opts_.download_dir, ec);
        if (ec)
            throw error(make_error_code(errc::file_error),
                        "cannot create " + opts_.download_dir.string() + ": " + ec.message());
    }
}

void batch_runner::start_run(batch_jobs jobs, summary_handler h) {
    auto ex = client_.get_executor();
    auto hex = asio::get_associated_executor(h, ex);
    auto s = std::make_shared<run_state>(client_, opts_, std::move(jobs));
    // A job source without jobs, or a journal too small to know every job.
    bool invalid = (s->jobs.count && !s->jobs.job) || (opts_.journal && opts_.journal->size() < s->jobs.count);
    if (invalid)
        return asio::post(ex, asio::bind_executor(hex, [h = std::move(h), s]() mutable {
                              std::move(h)(make_error_code(errc::invalid_options), s->snapshot());
                          }));
    auto slot = asio::get_associated_cancellation_slot(h);
    asio::co_spawn(ex, run_all(std::move(s)),
                   asio::bind_cancellation_slot(
                       slot, asio::bind_executor(hex, [h = std::move(h)](std::exception_ptr ep,
                                                                         std::pair<error_code, batch_summary> r) mutable {
                           if (ep)
                               std::rethrow_exception(ep);
                           std::move(h)(r.first, std::move(r.second));
                       })));
}

} // namespace runninghub
