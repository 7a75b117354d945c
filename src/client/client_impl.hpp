// SPDX-License-Identifier: BSL-1.0
#pragma once
// The client's state, shared by the client handle and its pending operations,
// and the one call path every operation goes through:
//   pace -> net (pooled HTTPS) -> codec (decode) -> core/retry (repeat or not) -> count.
// What each endpoint needs (method, path, key, what a repeat costs) is a row of core/endpoints.

#include "client/call_settings.hpp"
#include "client/outcome.hpp"
#include "client/submit_gate.hpp"
#include "client/task_registry.hpp"
#include "client/wait_service.hpp"
#include "codec/codec.hpp"
#include "core/endpoints.hpp"
#include "core/flow.hpp"
#include "core/log.hpp"
#include "core/origin.hpp"
#include "core/retry.hpp"
#include "net/http.hpp"

#include <runninghub/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <vector>

namespace runninghub {

namespace detail {

/// A sleep() in progress, listed while it exists (also when its frame is
/// destroyed unresumed: an io_context destroyed first) so that shutdown() ends
/// it. Swap-and-pop: thousands of paced requests sleep at once.
struct sleeper {
    sleeper(std::vector<sleeper*>& l, const boost::asio::any_io_executor& ex, duration d)
        : list(l), at(l.size()), timer(ex, d) {
        list.push_back(this);
    }
    ~sleeper() {
        list[at] = list.back();
        list[at]->at = at;
        list.pop_back();
    }
    sleeper(const sleeper&) = delete;
    sleeper& operator=(const sleeper&) = delete;
    std::vector<sleeper*>& list;
    std::size_t at;
    boost::asio::steady_timer timer;
};

struct client_impl : std::enable_shared_from_this<client_impl> {
    client_impl(boost::asio::any_io_executor ex, client_options o);

    /// A JSON call of endpoint `e` (either envelope), repeated per the row's
    /// call kind. `state_code` marks service codes that describe a state
    /// rather than a failed call (outputs: 804, 813, 805); they count as answered.
    boost::asio::awaitable<detail::reply> call(detail::endpoint_id e, detail::http_request req,
                                               duration timeout = duration::zero(),
                                               bool (*state_code)(const error_code&) = nullptr);
    /// The same for an endpoint outside the table (call_api): counted under `name`.
    boost::asio::awaitable<detail::reply> call(std::string_view name, detail::http_request req,
                                               detail::call_settings cs);
    /// A submit of any kind: throttled by the gate, sent again after a "full"
    /// answer, repeated otherwise only when it certainly created no task.
    /// `on_submit` (may be empty) is told each submit_event (run_options::on_submit).
    boost::asio::awaitable<detail::outcome> submit(detail::endpoint_id e, std::string target, std::string body,
                                                   std::function<error_code(submit_event)> on_submit = {},
                                                   detail::call_settings cs = {});
    /// Seeds the gate's window with queue/status's concurrentLimit (once, at
    /// the first submit), then cancels `done`.
    boost::asio::awaitable<void> fetch_seed(std::shared_ptr<boost::asio::steady_timer> done);
    boost::asio::awaitable<bool> await_seed();
    /// submit()'s steps around its exchange: on_submit(sending) (an error: not sent)
    /// and what the answer means.
    error_code submit_sending(const std::function<error_code(submit_event)>& on_submit, bool cancelled,
                              detail::outcome& r);
    void submit_answered(const detail::http_request& req, detail::endpoint_id which, time_point started,
                         detail::http_response& res, detail::outcome& r);
    /// One query (a wait's), within `deadline`; `cs` (may be null): the wait's settings.
    boost::asio::awaitable<detail::outcome> query_once(std::string_view id, time_point deadline,
                                                       const detail::call_settings* cs);
    /// query_once's halves around its exchange (do_query inlines them).
    detail::http_request query_request(std::string_view id, const detail::call_settings* cs);
    void query_answered(std::string_view id, time_point started, detail::http_response& res, detail::outcome& r);
    boost::asio::awaitable<detail::outcome> do_query(std::string id, detail::call_settings cs);
    boost::asio::awaitable<detail::outcome> do_cancel(std::string id, detail::call_settings cs);

    boost::asio::awaitable<detail::reply> call_counted(std::string_view name, endpoint_stats& stats,
                                                       detail::http_request req,
                                                       bool (*state_code)(const error_code&),
                                                       detail::call_settings cs);

    /// A request of row `e`: its method, target and whether it may be repeated.
    static detail::http_request request_for(detail::endpoint_id e, std::string_view target = {});
    /// The JSON body of row `e`, with the API key where the row puts it.
    std::string body_for(detail::endpoint_id e, boost::json::object body) const;

    /// Waits for the request-rate limiter; an error when cancelled.
    boost::asio::awaitable<error_code> pace();
    /// Sleeps `d`; errc::client_shut_down at once when the client shuts
    /// down meanwhile (a backoff never keeps the io_context running after it).
    boost::asio::awaitable<error_code> sleep(duration d);
    /// The delay before repeating a failed attempt, or nullopt (core/retry decides).
    std::optional<duration> repeat_after(detail::call_kind kind, bool written, const retry_policy& p,
                                         const error_code& ec, unsigned attempt, time_point started,
                                         duration retry_after = duration(-1));
    void count_call(detail::endpoint_id e, const error_code& ec);

    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
    void shutdown();

    boost::asio::any_io_executor ex;
    client_options opts;
    detail::logger log;
    detail::origin base;
    detail::http_client http;
    client_stats counters;
    std::minstd_rand rng;
    detail::submit_gate gate;
    detail::rate_limiter limiter;
    detail::retry_decider retry;
    detail::task_registry tasks;
    /// Calls by endpoint row, counted without building strings on the hot path.
    std::array<endpoint_stats, static_cast<std::size_t>(detail::endpoint_id::count)> calls{};
    std::map<std::string, endpoint_stats, std::less<>> other_calls;  // call_api's paths
    bool seed_asked = false;                     // fetch_seed started
    bool shut_down = false;
    std::vector<sleeper*> sleepers;  // cancelled by shutdown()
    /// The attached listener's callback URL, filled into run bodies when set.
    /// Read where operations start (any thread), written by attach/detach: locked.
    std::string callback_url() const {
        std::lock_guard lk(webhook_mutex);
        return webhook_url;
    }
    void set_callback_url(std::string url) {
        std::lock_guard lk(webhook_mutex);
        webhook_url = std::move(url);
    }
    mutable std::mutex webhook_mutex;
    std::string webhook_url;
    std::atomic<std::uint64_t> webhook_generation{0};  // events of older attachments are ignored
    detail::wait_service waits;
};

/// An operation's result's error and value (an outcome's task, or the pair's
/// second), by reference: a task is ~600 bytes, each move of it counts.
inline error_code error_of(const outcome& o) { return o.ec; }
inline task& value_of(outcome& o) { return o.t; }
template <class T>
error_code error_of(const std::pair<error_code, T>& r) { return r.first; }
template <class T>
T& value_of(std::pair<error_code, T>& r) { return r.second; }

/// The coroutine's outcome as the handler's (error, value): an exception
/// (a callback that threw, memory) becomes an error, never leaves the io thread.
template <class R, class T>
struct completion {
    detail::handler<T> h;
    void operator()(std::exception_ptr ep, R&& r) {
        error_code ec = error_of(r);
        if (ep) {
            try {
                std::rethrow_exception(ep);
            } catch (const boost::system::system_error& e) {
                ec = e.code();
            } catch (const std::bad_alloc&) {
                ec = make_error_code(boost::system::errc::not_enough_memory);
            } catch (...) {
                ec = make_error_code(boost::system::errc::state_not_recoverable);
            }
        }
        std::move(h)(ec, std::move(value_of(r)));
    }
};

/// Runs an operation's coroutine on the client's executor: the site's slot
/// (the caller's, when h was erased without it; else h's own) reaches it, its
/// (error, value) goes to the handler. co_spawn completes through the
/// handler's own executor and that slot, so the handler is called directly.
/// The site's any_io_executor is used as it is (the io_context's own executor
/// when it holds one); only a handler whose executor is of another kind is
/// asked for it (an any_completion_executor around it, and one more for
/// co_spawn's work guard: two heap blocks per operation).
template <class R, class T>
void launch(const std::shared_ptr<detail::client_impl>& self, boost::asio::awaitable<R> op, detail::handler<T> h,
            completion_site site = {}) {
    namespace asio = boost::asio;
    auto slot = site.slot.is_connected() ? site.slot : asio::get_associated_cancellation_slot(h);
    if (!site.erased) {
        const auto& hex = site.ex ? site.ex : self->ex;
        // An io_context's own executor behind the erased one (a coroutine co_spawned on
        // the io_context): bound as it is, co_spawn's completion runs the handler inline
        // when it may, with one move of the result; through any_io_executor it is wrapped
        // in a type-erased function first (three more moves of a ~600-byte task).
        if (auto* io = hex.template target<asio::io_context::executor_type>()) {
            asio::co_spawn(self->ex, std::move(op),
                           asio::bind_cancellation_slot(slot, asio::bind_executor(*io, completion<R, T>{std::move(h)})));
            return;
        }
        asio::co_spawn(self->ex, std::move(op),
                       asio::bind_cancellation_slot(slot, asio::bind_executor(hex, completion<R, T>{std::move(h)})));
        return;
    }
    auto hex = asio::get_associated_executor(h, self->ex);
    asio::co_spawn(self->ex, std::move(op),
                   asio::bind_cancellation_slot(slot, asio::bind_executor(hex, completion<R, T>{std::move(h)})));
}

/// A failed operation's result: the error, and a value whose diag says where and why.
template <class T>
std::pair<error_code, T> failure(error_code ec, std::string endpoint, std::string why) {
    std::pair<error_code, T> r{ec, T{}};
    r.second.diag.endpoint = std::move(endpoint);
    r.second.diag.server_message = std::move(why);
    return r;
}

/// Completes h at once (posted) with an argument error.
template <class T>
void fail_as(const std::shared_ptr<detail::client_impl>& self, detail::handler<T> h, errc e, std::string why) {
    namespace asio = boost::asio;
    auto hex = asio::get_associated_executor(h, self->ex);
    asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), r = failure<T>(e, {}, std::move(why))]() mutable {
                   std::move(h)(r.first, std::move(r.second));
               }));
}

/// An id used in a path or body must be 1..64 of [0-9A-Za-z_-]: true when it is;
/// otherwise h completes with invalid_options naming `what`.
template <class T>
bool check_id(const std::shared_ptr<detail::client_impl>& self, detail::handler<T>& h, std::string_view what,
              std::string_view id) {
    if (valid_id(id))
        return true;
    fail_as<T>(self, std::move(h), errc::invalid_options,
               std::string(what) + " \"" + excerpt(id, 64) + "\" must be 1 to 64 characters of [0-9A-Za-z_-]");
    return false;
}

/// A call's overrides, checked (settings_of): nullopt when refused, and then h
/// completes with invalid_options saying why.
template <class T>
std::optional<call_settings> settings_or_fail(const std::shared_ptr<detail::client_impl>& self,
                                              detail::handler<T>& h, const call_overrides& o) {
    std::string why;
    auto cs = settings_of(o, why);
    if (!cs)
        fail_as<T>(self, std::move(h), errc::invalid_options, std::move(why));
    return cs;
}

/// "POST /openapi/v2/run/ai-app/…": a row's method and the request's target, for diagnostics.
inline std::string endpoint_text(const detail::endpoint& e, std::string_view target) {
    static constexpr std::string_view verbs[] = {"GET ", "POST ", "PUT "};
    std::string s(verbs[static_cast<int>(e.method)]);
    return s.append(target);
}

/// A submit's arguments checked once: its call settings, or nullopt and `why` they are refused.
std::optional<call_settings> run_settings(bool workflow, const std::vector<node_input>& inputs,
                                          const run_options& opts, std::string& why);
} // namespace detail

} // namespace runninghub
