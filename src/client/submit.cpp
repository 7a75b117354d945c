// SPDX-License-Identifier: BSL-1.0
// The submit path: the gate (the account's concurrency, discovered), one
// submit exchange, and what its answer means (accepted, full, repeat, give up).
#include "client/client_impl.hpp"
#include "core/salvage.hpp"

#include "net/use_tuple.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

namespace asio = boost::asio;
namespace json = boost::json;

namespace runninghub {

using detail::endpoint_id;

namespace {
// Whether an attempt's result leaves the task possibly existing: accepted,
// unknown, or cancelled after the request was written.
bool may_exist(const detail::outcome& r) {
    return !r.ec || r.ec == errc::submit_outcome_unknown || (r.sent && r.ec == asio::error::operation_aborted);
}
} // namespace

// The caller's on_submit(sending), asked on the executor so that a cancellation
// that came first wins and no `sending` is told for a request that will not go out.
error_code detail::client_impl::submit_sending(const std::function<error_code(submit_event)>& on_submit,
                                               bool cancelled, detail::outcome& r) {
    if (cancelled)
        return r.ec = asio::error::operation_aborted;
    if (auto ec = on_submit(submit_event::sending)) {
        r.ec = ec;
        r.t.diag.server_message = "run_options::on_submit refused the submit: " + ec.message();
    }
    return r.ec;
}

// What one submit exchange's answer means (a plain call: submit() awaits the exchange itself).
void detail::client_impl::submit_answered(const detail::http_request& req, endpoint_id which, time_point started,
                                          detail::http_response& res, detail::outcome& r) {
    counters.submit_latency.record(clock::now() - started);
    r.sent = res.request_written;
    if (res.ec) {
        if (res.request_written && res.ec != asio::error::operation_aborted) {
            // Sent, no answer: the task may exist. Never repeat it.
            r.t.diag.cause = res.ec;
            r.ec = make_error_code(errc::submit_outcome_unknown);
        } else {
            r.ec = res.ec;
            r.t.diag.server_message = res.detail;
        }
        count_call(which, r.ec);
        return;
    }
    r.ec = detail::decode_task({res.status, res.body, res.retry_after}, r.t, r.t.diag);
    if (r.ec && detail::may_have_created(r.ec, res.status)) {
        // Nothing of the answer is trusted but a task id it names (salvaged), which
        // lets the caller ask instead of guessing; an id the request itself holds
        // (echoed back) is not one.
        auto diag = std::move(r.t.diag);
        diag.cause = r.ec;
        r.t = task{};
        r.t.diag = std::move(diag);
        r.ec = make_error_code(errc::submit_outcome_unknown);
        auto id = detail::salvage_task_id(res.body);
        if (!id.empty() && req.body.find(id) == std::string::npos && req.target.find(id) == std::string::npos) {
            r.t.id = std::move(id);
            r.t.diag.server_message += (r.t.diag.server_message.empty() ? "" : "; ") +
                                       std::string("the answer names task ") + r.t.id;
        }
    } else if (r.ec) {
        if (auto ra = detail::parse_retry_after(res.retry_after, std::chrono::system_clock::now()))
            r.retry_after = *ra;
    }
    count_call(which, r.ec);
}

namespace {
// A submit accepted at once as FAILED, or with node_errors in its promptTips: errc::task_failed, shown.
void reject_failed_at_once(detail::outcome& r, endpoint_id which, std::string_view target) {
    auto tips = parse_prompt_tips(r.t.prompt_tips);
    if (r.t.status != task_status::failed && !(tips && tips->has_node_errors()))
        return;
    r.t.diag.endpoint = detail::endpoint_text(detail::row(which), target);
    r.t.diag.server_code = r.t.error_code;
    r.t.diag.server_message = r.t.error_message;
    if (tips && tips->has_node_errors())
        r.t.diag.server_message += (r.t.diag.server_message.empty() ? "node_errors: " : "; node_errors: ") +
                                   json::serialize(tips->node_errors);
    else if (r.t.diag.server_message.empty())
        r.t.diag.server_message = r.t.prompt_tips;
    r.ec = make_error_code(errc::task_failed);
}
} // namespace

namespace {
// A gate slot held by a submission; given back unless the task takes it.
struct slot_guard {
    detail::client_impl* owner;
    std::optional<detail::window_ticket> held;
    void release() {
        if (held)
            owner->gate.give_back(*std::exchange(held, std::nullopt));
    }
    ~slot_guard() { release(); }
};

// An accepted submit: the slot goes to the task until the client sees it end.
void accepted(detail::client_impl& c, detail::outcome& r, const detail::window_ticket& t, endpoint_id which,
              std::string_view target) {
    ++c.counters.submits_accepted;
    c.retry.on_success();
    c.gate.on_accepted(t);
    reject_failed_at_once(r, which, target);
    if (!r.ec && !is_terminal(r.t.status))
        c.tasks.accepted(r.t.id, clock::now());
    else
        c.gate.task_ended();
}

// A "full" answer: the slot goes back to the gate, which learns the account's limit from it.
void account_full(detail::client_impl& c, detail::outcome& r, const detail::window_ticket& t, std::string_view target) {
    c.gate.on_backpressure(t, r.retry_after, c.uniform(), r.t.diag.server_code + " " + r.ec.message());
    if (c.log.enabled(log_level::debug))
        c.log(log_level::debug, "submit " + std::string(target) + ": " + r.ec.message() + "; waiting for room");
}
} // namespace

// The first submit waits a moment for the window's seed, never long; true when cancelled meanwhile.
asio::awaitable<bool> detail::client_impl::await_seed() {
    auto seeded = std::make_shared<asio::steady_timer>(ex, clock::now() + std::chrono::seconds(1));
    asio::co_spawn(ex, fetch_seed(seeded), asio::detached);
    co_await seeded->async_wait(detail::use_tuple);
    co_return (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
}

asio::awaitable<detail::outcome> detail::client_impl::submit(endpoint_id which, std::string target, std::string body,
                                                             std::function<error_code(submit_event)> on_submit,
                                                             detail::call_settings cs) {
    auto self = shared_from_this();
    auto req = request_for(which, target);
    req.body = std::move(body);
    req.headers = cs.header_lines;  // both live in this frame
    auto request_timeout = cs.timeout > duration::zero() ? cs.timeout : opts.timeout.request;
    const auto& policy = cs.retry ? *cs.retry : opts.retry.submit;
    if (!std::exchange(seed_asked, true) && co_await await_seed()) {
        detail::outcome r;  // cancelled while waiting for the seed: nothing was sent
        r.ec = asio::error::operation_aborted;
        co_return r;
    }
    slot_guard slot{this, {}};

    detail::outcome r;
    auto started = clock::now();
    std::optional<time_point> full_since;  // the first "full" answer to this submit
    for (unsigned attempt = 1;;) {
        if (!slot.held) {
            auto limit = opts.throttle.backpressure_timeout;
            auto deadline = full_since && limit > duration::zero() ? *full_since + limit : time_point::max();
            detail::window_ticket ticket;
            error_code ec;  // a free slot is taken by a plain call; the gate's coroutine only to wait
            if (!gate.try_acquire(ticket))
                ec = co_await gate.acquire(ticket, full_since.has_value(), deadline);
            if (ec == asio::error::timed_out) {  // r holds the last "full" answer, and its endpoint
                ++counters.submits_rejected;
                r.t.diag.server_message += "; the account stayed full for throttle.backpressure_timeout";
                co_return r;
            } else if (ec) {
                r = {};
                r.ec = ec;
                r.t.diag.endpoint = detail::endpoint_text(detail::row(which), target);
                co_return r;
            }
            slot.held = ticket;
        }
        // One attempt, inline (no coroutine frame of its own): pace, on_submit, the exchange.
        r = {};
        if (limiter.enabled())
            r.ec = co_await pace();
        if (!r.ec && on_submit) {
            auto state = co_await asio::this_coro::cancellation_state;
            submit_sending(on_submit, state.cancelled() != asio::cancellation_type::none, r);
        }
        if (!r.ec) {
            auto sent_at = clock::now();
            auto res = co_await http.request(base, req, sent_at + request_timeout);
            submit_answered(req, which, sent_at, res, r);
            if (on_submit && !may_exist(r))
                if (auto ec = on_submit(submit_event::not_created); ec && log.enabled(log_level::warning))
                    log(log_level::warning, "run_options::on_submit(not_created) failed: " + ec.message());
        }
        if (!r.ec) {
            accepted(*this, r, *std::exchange(slot.held, std::nullopt), which, target);
            co_return r;
        }
        r.t.diag.endpoint = detail::endpoint_text(detail::row(which), target);  // for a failure only
        if (detail::is_account_full(r.ec)) {
            // Not a failure: no task was created. Wait for room, then go again.
            account_full(*this, r, *std::exchange(slot.held, std::nullopt), target);
            if (!full_since)
                full_since = clock::now();
            started = clock::now();  // retry.submit's overall time counts from the last wait
            continue;
        }
        if (r.ec == asio::error::operation_aborted || r.ec == errc::client_shut_down)
            co_return r;
        // core/retry repeats only what certainly created no task.
        auto delay = repeat_after(detail::call_kind::submit, r.sent, policy, r.ec, attempt, started,
                                  r.retry_after);
        if (!delay) {
            r.ec == errc::submit_outcome_unknown ? ++counters.submits_unknown : ++counters.submits_rejected;
            co_return r;
        }
        ++counters.submit_retries;
        ++attempt;
        if (log.enabled(log_level::info))
            log(log_level::info, "submit " + target + ": " + r.ec.message() + "; repeating (attempt " +
                                     std::to_string(attempt) + ")");
        slot.release();  // others may use the slot during the backoff
        if (auto ec = co_await sleep(*delay))
            co_return detail::outcome{ec, {}};
    }
}

// The account's limit as a first guess for the window: one request, no repeat;
// the window carries on discovering when the service does not answer it.
asio::awaitable<void> detail::client_impl::fetch_seed(std::shared_ptr<asio::steady_timer> done) {
    auto self = shared_from_this();
    auto req = request_for(endpoint_id::queue_status);
    auto res = co_await http.request(base, req, clock::now() + std::min<duration>(opts.timeout.request, std::chrono::seconds(3)));
    json::value data;
    diagnostics diag;
    queue_status q;
    if (!res.ec && !detail::decode_envelope({res.status, res.body, res.retry_after}, data, diag) &&
        !detail::decode_queue_status(data, q))
        gate.seed(static_cast<std::size_t>(q.concurrent_limit));
    done->cancel();
}

} // namespace runninghub
