// SPDX-License-Identifier: BSL-1.0
// batch_runner: workers over the jobs, the room at the submit gate, progress,
// and the stop (graceful first, at once on a second cancellation).
#include "batch/run_state.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace runninghub {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string_view to_string(batch_step s) noexcept {
    switch (s) {
    case batch_step::earlier_run: return "earlier run";
    case batch_step::journal: return "journal";
    case batch_step::upload: return "upload";
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
/// `s` as part of a file name: the service's strings never name another directory.
std::string file_part(std::string_view s) {
    std::string out(s);
    for (auto& ch : out)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
            ch = '_';
    return out;
}
} // namespace

std::string result_file_name(std::string_view task_id, std::string_view node_id, std::size_t index,
                             std::string_view output_type) {
    return file_part(task_id) + "-" + file_part(node_id) + "-" + std::to_string(index) + "." +
           (output_type.empty() ? "bin" : file_part(output_type));
}

namespace batch_detail {

run_state::run_state(client& cl, batch_options o, batch_jobs j)
    : c(cl), opts(std::move(o)), jobs(std::move(j)), joined(c.get_executor()), ticker(c.get_executor()) {
    counts.jobs = jobs.count;
}

void run_state::on_event(const webhook_event& e) {
    std::string_view ref = e.ref;
    if (!ref.starts_with(ref_prefix) || ref.size() == ref_prefix.size() || ref[ref_prefix.size()] != '-')
        return;  // another run's, or the bare URL
    ref.remove_prefix(ref_prefix.size() + 1);
    std::size_t i = 0;
    auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), i);
    if (ec != std::errc() || end != ref.data() + ref.size() || !listening.count(i) || event_ids.count(i))
        return;  // only a job whose submit answer is out or was lost listens; the first event counts
    event_ids.emplace(i, e.task_id);
    if (auto it = adopting.find(i); it != adopting.end())
        it->second->cancel();
}

std::size_t run_state::in_phase(phase p) const {
    return std::count_if(pool.begin(), pool.end(), [p](auto& w) { return w->now == p; });
}

batch_summary run_state::snapshot() const {
    auto s = counts;
    s.in_flight = taken - counts.ended;
    s.stopping = stopping();
    auto t = c.stats().throttle;
    s.waiting = in_phase(phase::room);  // before the gate, in its queue, or between attempts
    s.window = t.window;
    s.coins = coins;
    if (s.ended < s.jobs)
        s.elapsed = clock::now() - start;
    if (auto left = s.jobs - s.skipped - s.ended; s.ended > 0 && left > 0)
        s.eta = s.elapsed / s.ended * left;
    return s;
}

std::string new_ref_prefix() { return random_webhook_secret().substr(0, 12); }

namespace {

/// Room for one more submit: the gate's window (none: always) less the slots
/// taken, the submissions queued and this run's submits not yet in the gate.
bool has_room(const run_state& s) {
    auto t = s.c.stats().throttle;
    if (t.window <= 0)
        return true;
    auto used = t.in_flight + t.queued + s.entering;
    return static_cast<double>(used) + 1 <= std::max(1.0, std::floor(t.window));
}

} // namespace

// A FIFO of waiting jobs; only the first polls the gate's stats (every 20 ms),
// so a thousand waiting jobs cost one timer.
asio::awaitable<room_answer> wait_for_room(state_ptr s, worker& w, time_point deadline) {
    w.now = phase::room;
    asio::steady_timer t(s->c.get_executor());
    s->room_queue.push_back(&t);
    auto answer = room_answer::stopping;
    while (!s->stopping()) {
        bool first = s->room_queue.front() == &t;
        if (first && has_room(*s)) {
            answer = room_answer::yes;
            break;
        }
        if (clock::now() >= deadline) {
            answer = room_answer::deadline;
            break;
        }
        t.expires_at(std::min(deadline, clock::now() + (first ? duration(20ms) : duration(1h))));
        co_await t.async_wait(tuple);
    }
    std::erase(s->room_queue, &t);
    if (!s->room_queue.empty())
        s->room_queue.front()->cancel();  // the next one polls now
    co_return answer;
}

namespace {

void count(run_state& s, const batch_result& r) {
    auto& n = s.counts;
    ++n.ended;
    switch (r.outcome) {
    case batch_outcome::succeeded: ++n.succeeded; break;
    case batch_outcome::failed: ++n.failed; break;
    case batch_outcome::in_doubt: ++n.in_doubt; break;
    }
    n.taken_over += r.taken_over;
    for (auto& f : r.files)
        if (!f.path.empty())
            ++n.files, n.bytes += f.bytes;
    if (r.t.usage.consume_coins)
        s.coins += std::strtod(r.t.usage.consume_coins->c_str(), nullptr);
    if (n.ended + n.skipped == n.jobs)
        n.elapsed = clock::now() - s.start;  // the run's time ends with its last job
}

asio::awaitable<void> work(state_ptr s, worker& w) {
    co_await asio::this_coro::throw_if_cancelled(false);  // each step looks at its own error
    while (!s->stopping() && s->next < s->jobs.count) {
        auto i = s->next++;
        if (s->opts.skip && s->opts.skip(i)) {
            ++s->counts.skipped;
            continue;
        }
        ++s->taken;
        auto r = co_await run_job(s, w, i);
        w.now = phase::idle;
        if (!r) {
            --s->taken;  // stopped before its submit: neither run nor reported
            continue;
        }
        count(*s, *r);
        if (s->opts.on_result)
            s->opts.on_result(*r);
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

/// First stop: no new job; the steps that cannot create a task, and (cancel_accepted)
/// the waits, are cancelled. Second stop: everything is cancelled.
void stop(run_state& s) {
    s.stops = std::min(s.stops + 1, 2);
    for (auto& w : s.pool) {
        bool now = s.stops == 2 || w->now == phase::room || w->now == phase::upload || w->now == phase::adopt ||
                   (w->now == phase::wait && s.opts.on_stop == batch_stop::cancel_accepted);
        if (now && w->now != phase::idle)
            w->signal.emit(asio::cancellation_type::terminal);
    }
    for (auto* t : s.room_queue)
        t->cancel();
    for (auto& [path, e] : s.uploads)
        if (!e->done && s.stops == 2)
            e->ready.cancel();
}

void spawn_workers(state_ptr s, std::size_t n) {
    auto ex = s->c.get_executor();
    for (std::size_t k = 0; k < n; ++k)
        s->pool.push_back(std::make_unique<worker>());
    for (auto& w : s->pool) {
        ++s->workers;
        asio::co_spawn(ex, work(s, *w), asio::bind_cancellation_slot(w->signal.slot(), [s](std::exception_ptr ep) {
                           if (ep)
                               std::rethrow_exception(ep);  // a callback threw: out of io_context::run
                           if (--s->workers == 0)
                               s->joined.cancel();
                       }));
    }
}

/// Starts the workers and waits for them; each cancellation is one more step of the stop.
asio::awaitable<std::pair<error_code, batch_summary>> run_all(state_ptr s) {
    co_await asio::this_coro::throw_if_cancelled(false);
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    spawn_workers(s, std::min(s->opts.concurrency, s->jobs.count));
    if (s->opts.on_progress)
        asio::co_spawn(s->c.get_executor(), tick(s), asio::detached);
    error_code result;
    for (;;) {
        asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) {
            stop(*s);
            result = asio::error::operation_aborted;
            co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
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
} // namespace batch_detail

batch_runner::batch_runner(client& c, batch_options opts) : client_(c), opts_(std::move(opts)) {
    if (opts_.concurrency == 0)
        throw error(make_error_code(errc::invalid_options), "batch_options::concurrency must be 1 or more");
    if (opts_.progress_interval <= duration::zero())
        throw error(make_error_code(errc::invalid_options), "batch_options::progress_interval must be positive");
    if (opts_.job_timeout < duration::zero())
        throw error(make_error_code(errc::invalid_options), "batch_options::job_timeout must not be negative");
    if (opts_.adopt_timeout < duration::zero())
        throw error(make_error_code(errc::invalid_options), "batch_options::adopt_timeout must not be negative");
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
    auto s = std::make_shared<batch_detail::run_state>(client_, opts_, std::move(jobs));
    // A job source without jobs, or a journal too small to know every job.
    bool invalid = (s->jobs.count && !s->jobs.job) || (opts_.journal && opts_.journal->size() < s->jobs.count);
    if (invalid)
        return asio::post(ex, asio::bind_executor(hex, [h = std::move(h), s]() mutable {
                              std::move(h)(make_error_code(errc::invalid_options), s->snapshot());
                          }));
    auto* listener = opts_.webhook;
    if (listener) {
        s->ref_prefix = batch_detail::new_ref_prefix();
        // Events come on the listener's executor; the run's state lives on the client's.
        s->subscription = listener->subscribe([weak = std::weak_ptr(s), ex](const webhook_event& e) {
            asio::dispatch(ex, [weak, e] {
                if (auto s = weak.lock())
                    s->on_event(e);
            });
        });
    }
    auto slot = asio::get_associated_cancellation_slot(h);
    asio::co_spawn(ex, batch_detail::run_all(s),
                   asio::bind_cancellation_slot(
                       slot, asio::bind_executor(hex, [h = std::move(h), listener, token = s->subscription](
                                                          std::exception_ptr ep,
                                                          std::pair<error_code, batch_summary> r) mutable {
                           if (listener)
                               listener->unsubscribe(token);
                           if (ep)
                               std::rethrow_exception(ep);
                           std::move(h)(r.first, std::move(r.second));
                       })));
}

} // namespace runninghub
