// SPDX-License-Identifier: BSL-1.0
#pragma once
// A blocking facade over runninghub::client, for code without an event loop.

#include <runninghub/client.hpp>

#include <boost/asio/async_result.hpp>

#include <future>
#include <memory>
#include <utility>

namespace runninghub {

namespace detail {
/// A completion token: the operation's (error_code, T) as a future of a pair.
struct future_pair_t {};
} // namespace detail

/// A client on an io_context of its own, run by one thread that it owns. Each
/// call blocks the calling thread until its operation completes; calls from
/// several threads run at once and share one pool and one submit gate.
///
/// Errors throw runninghub::error, whose diag() says what happened; call(fn, ec)
/// returns them instead. Money: as the client's (a submit that may have created
/// a task is never repeated; errc::submit_outcome_unknown says so).
/// Never call it from the facade's own thread (a handler or callback run by
/// `async()`): it would wait for itself, so it throws errc::invalid_options
/// (call(fn, ec) sets it).
class RUNNINGHUB_EXPORT sync_client {
public:
    /// Throws runninghub::error (invalid_options) for invalid options, and for
    /// `single_threaded` (callers' threads start operations here).
    explicit sync_client(client_options opts);
    /// Shuts the client down and joins the thread: operations started through
    /// async() end with errc::client_shut_down or operation_aborted (a backoff
    /// sleep at once, a request already out at its deadline at the latest).
    /// Destroy it only once no other thread is inside one of its calls, and
    /// never on its own thread (in a handler run by async()): it cannot join
    /// itself.
    ~sync_client();
    sync_client(const sync_client&) = delete;
    sync_client& operator=(const sync_client&) = delete;

    task run(ai_app app, std::vector<node_input> inputs, run_options opts = {});
    task run(workflow wf, std::vector<node_input> inputs, run_options opts = {});
    task wait(std::string task_id, wait_options opts = {});
    run_result run_and_wait(ai_app app, std::vector<node_input> inputs, run_options ro = {},
                            run_and_wait_options opts = {});
    task query(std::string task_id, call_overrides overrides = {});
    task cancel(std::string task_id, call_overrides overrides = {});

    /// Any operation of the client, blocking: `fn(client&, token)` starts it
    /// with the token given. For example
    /// `auto acct = sc.call([](client& c, auto token) { return c.account(token); });`
    /// The result keeps what the operation handed over with its error (a
    /// salvaged task id with errc::submit_outcome_unknown, the diagnostics).
    template <class Fn>
    auto call(Fn&& fn, error_code& ec) {
        using result = decltype(std::forward<Fn>(fn)(std::declval<client&>(), detail::future_pair_t{}).get().second);
        if (on_own_thread()) {
            ec = errc::invalid_options;
            return result{};
        }
        auto r = std::forward<Fn>(fn)(*client_, detail::future_pair_t{}).get();
        ec = r.first;
        return std::move(r.second);
    }
    /// The same, throwing runninghub::error (with the diagnostics and the
    /// task id, error::task_id()) on an error.
    template <class Fn>
    auto call(Fn&& fn) {
        if (on_own_thread())
            throw error(errc::invalid_options, "sync_client: a blocking call from the client's own thread would "
                                               "wait for itself; use async() there");
        // The error is made and thrown on the caller's thread: no exception
        // object is shared with the client's thread (an exception_ptr handed
        // across threads is counted inside the uninstrumented C++ runtime,
        // which ThreadSanitizer reports as a race).
        error_code ec;
        auto v = call(std::forward<Fn>(fn), ec);
        if (ec)
            throw error(ec, detail::diagnostics_of(v), detail::task_id_of(v));
        return v;
    }

    /// The client's counters, read on its thread.
    client_stats stats() const;
    /// The client itself, whose executor is the facade's thread: for
    /// asynchronous use beside the blocking calls.
    client& async() noexcept;

private:
    bool on_own_thread() const noexcept;
    struct impl;
    std::unique_ptr<impl> impl_;
    client* client_ = nullptr;
};

} // namespace runninghub

/// @cond
template <class T>
struct boost::asio::async_result<runninghub::detail::future_pair_t, void(runninghub::error_code, T)> {
    using return_type = std::future<std::pair<runninghub::error_code, T>>;
    template <class Initiation, class... Args>
    static return_type initiate(Initiation&& init, runninghub::detail::future_pair_t, Args&&... args) {
        auto done = std::make_shared<std::promise<std::pair<runninghub::error_code, T>>>();
        auto f = done->get_future();
        std::forward<Initiation>(init)(
            [done](runninghub::error_code ec, T v) { done->set_value({ec, std::move(v)}); },
            std::forward<Args>(args)...);
        return f;
    }
};
/// @endcond
