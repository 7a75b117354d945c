// SPDX-License-Identifier: BSL-1.0
// One job of a batch, step by step: its files, the room at the submit gate,
// the journalled submit, the wait (or a stop's cancel), the downloads.
#include "batch/run_state.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cstdlib>

namespace runninghub::batch_detail {
namespace {

using journal_state = batch_journal::state;
using namespace std::chrono_literals;

enum class submitted { yes, no, stopped };

void stop_listening(run_state& s, std::size_t i) {
    s.listening.erase(i);
    s.event_ids.erase(i);
}

void note(batch_result& r, error_code jec) {
    if (jec && !r.journal_error)
        r.journal_error = jec;
}

/// The node's field gets `value` (replacing an input of the same field).
void set_input(std::vector<node_input>& in, const std::string& node, const std::string& field, std::string value) {
    for (auto& x : in)
        if (x.node_id == node && x.field_name == field) {
            x.field_value = value.c_str();
            return;
        }
    in.emplace_back(node, field, value.c_str());
}

/// Each distinct file once per run: the first job uploads it, the others wait for that upload.
asio::awaitable<std::pair<error_code, uploaded_file>> upload_once(state_ptr s, const std::filesystem::path& p) {
    auto& slot = s->uploads[p];
    if (!slot) {
        auto e = slot = std::make_shared<upload_entry>(s->c.get_executor());
        auto [ec, up] = co_await s->c.upload(upload_file(p), tuple);
        std::tie(e->ec, e->up, e->done) = std::tuple(ec, up, true);
        e->ready.cancel();
        if (ec)
            s->uploads.erase(p);  // a later job may try again
        else
            ++s->counts.uploads;
        co_return std::pair{ec, up};
    }
    auto e = slot;
    if (!e->done)
        co_await e->ready.async_wait(tuple);
    if (!e->done)  // this job was stopped
        co_return std::pair{error_code(asio::error::operation_aborted), uploaded_file{}};
    co_return std::pair{e->ec, e->up};
}

/// Uploads the job's files and puts their names into its inputs (or its body).
asio::awaitable<bool> prepare(state_ptr s, worker& w, batch_job& job, batch_result& r) {
    w.now = phase::upload;
    bool model = std::holds_alternative<standard_model>(job.target);
    for (auto& f : job.files) {
        auto [ec, up] = co_await upload_once(s, f.path);
        if (ec) {
            std::tie(r.step, r.ec, r.t.diag, r.outcome) = std::tuple(batch_step::upload, ec, up.diag, batch_outcome::failed);
            co_return false;
        }
        if (model)
            job.body[f.field] = up.download_url.empty() ? up.file_name : up.download_url;
        else
            set_input(job.inputs, f.node_id, f.field, up.file_name);
    }
    co_return true;
}

asio::awaitable<std::tuple<error_code, task>> submit_request(client& c, batch_job job) {
    std::tuple<error_code, task> answer;
    if (auto* wf = std::get_if<workflow>(&job.target))
        answer = co_await c.run(*wf, std::move(job.inputs), std::move(job.options), tuple);
    else if (auto* m = std::get_if<standard_model>(&job.target))
        answer = co_await c.call_model(m->endpoint, std::move(job.body), std::move(job.options), tuple);
    else
        answer = co_await c.run(std::get<ai_app>(job.target), std::move(job.inputs), std::move(job.options), tuple);
    co_return answer;
}

/// Submits the job; the journal records "submitting" only while a request
/// that may create its task is out (run_options::on_submit), so a submit that
/// waits in the client's back-pressure queue is never left in doubt by a crash,
/// and a stop cancels it there.
asio::awaitable<submitted> submit(state_ptr s, worker& w, std::size_t i, batch_job job, batch_result& r) {
    auto* journal = s->opts.journal;
    bool out = false;       // a request that may have created the task is out
    bool entered = true;    // counted in s->entering until its first request
    error_code refused;     // the journal could not record "submitting"
    ++s->entering;
    auto leave = [&] {
        if (std::exchange(entered, false))
            --s->entering;
    };
    auto user_hook = std::move(job.options.on_submit);
    job.options.on_submit = [&, user_hook](submit_event e) -> error_code {
        if (e == submit_event::sending) {
            if (s->stopping())
                return asio::error::operation_aborted;  // a stop came while the last attempt was out: no new one
            if (user_hook)
                if (auto ec = user_hook(e))
                    return ec;
            if (journal && (refused = journal->submitting(i)))
                return refused;  // not sent: certainly not created
            leave();
            out = true;
            w.now = phase::submit;
            return {};
        }
        out = false;
        w.now = phase::room;  // back in the client's queue, or about to repeat: a stop may cancel it
        if (journal)
            note(r, journal->not_created(i));
        return user_hook ? user_hook(e) : error_code{};
    };
    if (s->opts.webhook && job.options.webhook_url.empty()) {
        job.options.webhook_url = s->opts.webhook->callback_url(s->ref(i));  // its event names its task
        s->listening.insert(i);
    }
    r.step = batch_step::submit;
    w.now = phase::room;
    std::tie(r.ec, r.t) = co_await submit_request(s->c, std::move(job));
    leave();
    if (r.ec != errc::submit_outcome_unknown || !r.t.id.empty())
        stop_listening(*s, i);  // only a lost answer leaves the event to tell
    if (refused) {
        std::tie(r.step, r.ec, r.outcome) = std::tuple(batch_step::journal, refused, batch_outcome::failed);
        co_return submitted::no;
    }
    if (r.ec == errc::submit_outcome_unknown && !r.t.id.empty()) {
        // The answer could not be read but named a task: wait for it (the query
        // tells whether it exists) rather than leave the job in doubt.
        r.salvaged = true;
        r.ec = {};
    }
    // Cancelled while a request was out: like an unknown outcome, the task may exist.
    bool maybe_created = r.ec == errc::submit_outcome_unknown || (r.ec == asio::error::operation_aborted && out);
    if (r.ec == asio::error::operation_aborted && !out && s->stopping())
        co_return submitted::stopped;  // nothing out: a resumed run submits it
    if (journal && (!r.ec || out))  // a rejection after a request is already journalled as not created
        note(r, !r.ec            ? journal->accepted(i, r.t.id)
                : maybe_created ? journal->unknown(i)
                : (r.ec == errc::task_failed && !r.t.id.empty()) ? journal->ended(i, "FAILED")
                                                                  : journal->not_created(i));
    if (r.ec)
        r.outcome = maybe_created ? batch_outcome::in_doubt : batch_outcome::failed;
    co_return r.ec ? submitted::no : submitted::yes;
}

/// The submit's answer was lost: the job's own callback URL may still bring
/// its task's id (a TASK_END event). True when it did within adopt_timeout:
/// the job then waits for that task, as if accepted. An event is a hint (anyone
/// with the callback URL can send one): the task must exist (a query) and be no
/// other job's in the journal before it is journalled as this job's.
asio::awaitable<bool> adopt(state_ptr s, worker& w, std::size_t i, batch_result& r, time_point deadline) {
    w.now = phase::adopt;
    auto now = clock::now();
    auto until = deadline - now <= s->opts.adopt_timeout ? deadline : now + s->opts.adopt_timeout;  // no overflow
    asio::steady_timer t(s->c.get_executor(), until);
    s->adopting[i] = &t;
    if (!s->event_ids.count(i))
        co_await t.async_wait(tuple);  // ends on the event, at the time, or on a stop
    s->adopting.erase(i);
    auto it = s->event_ids.find(i);
    std::string id = it == s->event_ids.end() ? std::string() : std::move(it->second);
    stop_listening(*s, i);
    if (id.empty())
        co_return false;  // still in doubt, as journalled
    if (auto* journal = s->opts.journal)
        for (std::size_t k = 0; k < journal->size(); ++k)
            if (k != i && (*journal)[k].task_id == id)
                co_return false;  // another job's task: never two jobs for one task
    w.now = phase::query;
    auto [qec, t_now] = co_await s->c.query(id, tuple);
    if (qec)
        co_return false;  // not (yet) a task we can see: in doubt
    r.t = std::move(t_now);
    r.adopted = true;
    r.ec = {};
    if (s->opts.journal) {
        note(r, s->opts.journal->accepted(i, r.t.id));
        if (is_terminal(r.t.status))  // its event came after its end: no wait follows
            note(r, s->opts.journal->ended(i, to_string(r.t.status)));
    }
    co_return true;
}

/// Cancels the job's task at the service (a stop with cancel_accepted, or its
/// deadline); true when the task had ended SUCCESS first (its results are kept).
asio::awaitable<bool> cancel_task(state_ptr s, worker& w, std::size_t i, batch_result& r, error_code why) {
    w.now = phase::cancel;
    auto [ec, t] = co_await s->c.cancel(r.t.id, tuple);
    r.cancel_requested = true;
    r.cancel_confirmed = !ec;
    r.step = batch_step::wait;
    r.ec = why;
    if (ec) {
        r.outcome = batch_outcome::in_doubt;  // still accepted in the journal: a resumed run takes it over
        r.t.diag = t.diag;
        co_return false;
    }
    // A cancel accepted for a task that had just ended changes nothing: ask once.
    auto [qec, now] = co_await s->c.query(r.t.id, tuple);
    bool ended_first = !qec && (now.status == task_status::success || now.status == task_status::failed);
    if (ended_first) {
        r.cancel_confirmed = false;  // accepted, but there was nothing left to cancel
        r.t = std::move(now);
        r.ec = r.t.status == task_status::success ? error_code{} : make_error_code(errc::task_failed);
    } else {
        r.t.status = task_status::cancel;
        r.t.status_text = "CANCEL";
    }
    r.outcome = r.ec ? batch_outcome::failed : batch_outcome::succeeded;
    if (s->opts.journal)
        note(r, s->opts.journal->ended(i, to_string(r.t.status)));
    co_return !r.ec;
}

/// Waits for the job's task; true when it is SUCCESS. Its end is journalled.
asio::awaitable<bool> wait_for(state_ptr s, worker& w, std::size_t i, batch_result& r, time_point deadline) {
    r.step = batch_step::wait;
    w.now = phase::wait;
    auto o = s->opts.wait;
    bool by_deadline = deadline != time_point::max() && deadline - clock::now() < o.timeout;
    if (by_deadline)
        o.timeout = std::max(deadline - clock::now(), duration(1ms));
    auto id = r.t.id;
    auto [ec, done] = co_await s->c.wait(id, o, tuple);
    if (done.id.empty())
        done.id = id;
    r.ec = ec;
    r.t = std::move(done);
    bool ended = !ec || ec == errc::task_failed || ec == errc::task_cancelled;
    if (s->opts.journal && ended)
        note(r, s->opts.journal->ended(i, to_string(r.t.status)));
    if (ec == errc::wait_timeout && by_deadline)
        co_return co_await cancel_task(s, w, i, r, make_error_code(errc::deadline_exceeded));
    if (ec == asio::error::operation_aborted && s->stops == 1 && s->opts.on_stop == batch_stop::cancel_accepted)
        co_return co_await cancel_task(s, w, i, r, ec);
    if (ec)
        r.outcome = ended ? batch_outcome::failed : batch_outcome::in_doubt;
    co_return !ec;
}

/// Downloads the result files an earlier run did not; true when all are there.
asio::awaitable<bool> fetch(state_ptr s, worker& w, std::size_t i, batch_result& r) {
    r.step = batch_step::download;
    w.now = phase::download;
    auto* journal = s->opts.journal;
    r.files.resize(r.t.results.size());
    for (std::size_t k = 0; k < r.t.results.size(); ++k) {
        auto& f = r.t.results[k];
        auto path = s->opts.download_dir / result_file_name(r.t.id, f.node_id, k, f.output_type);
        if (journal) {
            auto& known = (*journal)[i].downloaded;
            std::error_code fe;
            if (auto it = known.find(k); it != known.end() && std::filesystem::file_size(path, fe) == it->second && !fe) {
                r.files[k].path = path;  // downloaded and verified by an earlier run
                r.files[k].bytes = it->second;
                continue;
            }
        }
        auto [ec, d] = co_await s->c.download(f, path, {}, tuple);
        if (ec) {
            std::tie(r.ec, r.t.diag, r.outcome) = std::tuple(ec, d.diag, batch_outcome::failed);
            co_return false;
        }
        if (journal)
            note(r, journal->downloaded(i, k, d.bytes));
        r.files[k] = std::move(d);
    }
    co_return true;
}

/// A task that ended in an earlier run: its results are queried again, for the report and the missing
/// downloads. False when the query failed: the job is reported RUNNING (not final), so that the next run
/// queries again instead of taking "SUCCESS without results" as its end.
asio::awaitable<bool> take_over_ended(state_ptr s, worker& w, std::size_t i, batch_result& r) {
    const auto& item = (*s->opts.journal)[i];
    w.now = phase::query;
    r.taken_over = true;
    auto [ec, t] = co_await s->c.query(item.task_id, tuple);
    if (ec) {
        r.t = task{};
        r.t.id = item.task_id;
        r.t.diag = std::move(t.diag);
        r.step = batch_step::wait;
        r.outcome = batch_outcome::in_doubt;
        r.ec = ec;
        co_return false;
    }
    if (!is_terminal(t.status)) {
        t = task{};
        t.id = item.task_id;
        t.status = parse_task_status(item.status);
        t.status_text = item.status;
    }
    r.t = std::move(t);
    co_return true;
}

/// A job known to the journal as in doubt: reported, never submitted again.
batch_result in_doubt_from_journal(batch_result r) {
    r.step = batch_step::earlier_run;
    r.outcome = batch_outcome::in_doubt;
    r.ec = make_error_code(errc::submit_outcome_unknown);
    return r;
}

/// The job is done with its task: downloads, then the outcome.
asio::awaitable<void> finish(state_ptr s, worker& w, std::size_t i, batch_result& r) {
    if (r.t.status != task_status::success) {
        r.outcome = batch_outcome::failed;
        if (!r.ec)
            r.ec = make_error_code(r.t.status == task_status::cancel ? errc::task_cancelled : errc::task_failed);
        co_return;
    }
    if (!s->opts.download_dir.empty()) {
        bool fetched = co_await fetch(s, w, i, r);  // (no co_await inside && or ?: — g++ 12)
        if (!fetched)
            co_return;
    }
    r.step = r.taken_over && r.step == batch_step::earlier_run ? batch_step::earlier_run : batch_step::done;
    r.outcome = batch_outcome::succeeded;
    r.ec = {};
}

} // namespace

asio::awaitable<std::optional<batch_result>> run_job(state_ptr s, worker& w, std::size_t i) {
    auto job = s->jobs.job(i);
    batch_result r;
    r.index = i;
    r.job_id = job.id.empty() ? std::to_string(i + 1) : job.id;
    auto t0 = clock::now();
    auto deadline = s->opts.job_timeout > duration::zero() ? t0 + s->opts.job_timeout : time_point::max();
    auto st = s->opts.journal ? (*s->opts.journal)[i].st : journal_state::pending;
    if (st == journal_state::in_doubt && !s->opts.resubmit_in_doubt)
        co_return in_doubt_from_journal(std::move(r));
    if (st == journal_state::ended) {
        r.step = batch_step::earlier_run;
        bool known = co_await take_over_ended(s, w, i, r);
        if (!known)
            co_return r;
        co_await finish(s, w, i, r);
        if (r.step == batch_step::download && r.ec == asio::error::operation_aborted)
            co_return std::nullopt;
        co_return r;
    }
    if (st == journal_state::accepted) {
        r.taken_over = true;  // accepted before a crash: waited for, not paid for twice
        r.t.id = (*s->opts.journal)[i].task_id;
    } else {
        bool prepared = co_await prepare(s, w, job, r);
        if (!prepared) {
            if (s->stopping())
                co_return std::nullopt;  // stopped: not submitted
            co_return r;
        }
        auto room = co_await wait_for_room(s, w, deadline);
        if (room != room_answer::yes) {
            if (room == room_answer::stopping)
                co_return std::nullopt;  // nothing sent: a resumed run submits it
            std::tie(r.step, r.ec, r.outcome) =
                std::tuple(batch_step::submit, make_error_code(errc::deadline_exceeded), batch_outcome::failed);
            co_return r;
        }
        auto sent = co_await submit(s, w, i, std::move(job), r);
        if (sent == submitted::stopped)
            co_return std::nullopt;
        bool lost = sent == submitted::no && s->listening.count(i);  // the answer, not the task
        if (lost && !s->stopping() && s->opts.adopt_timeout > duration::zero()) {
            bool adopted = co_await adopt(s, w, i, r, deadline);
            if (!adopted)
                co_return r;
        } else if (sent == submitted::no) {
            stop_listening(*s, i);
            co_return r;
        }
        r.submit_latency = clock::now() - t0;
        if (s->stopping() && s->opts.on_stop == batch_stop::cancel_accepted && !is_terminal(r.t.status)) {
            bool succeeded = co_await cancel_task(s, w, i, r, asio::error::operation_aborted);
            if (!succeeded)
                co_return r;
        }
    }
    if (!is_terminal(r.t.status)) {
        bool success = co_await wait_for(s, w, i, r, deadline);
        if (!success)
            co_return r;
    }
    r.latency = clock::now() - t0;
    co_await finish(s, w, i, r);
    // Stopped at once amid its downloads: the journal lets a resumed run fetch the rest.
    if (r.step == batch_step::download && r.ec == asio::error::operation_aborted && s->opts.journal)
        co_return std::nullopt;
    co_return r;
}

} // namespace runninghub::batch_detail
