#pragma once
// runninghub::client: submit tasks, query them, wait for them.
//
// Every asynchronous operation follows Asio's universal model: the last
// argument is a completion token (default: use_awaitable, so `co_await
// client.run(...)` works), with the signature void(error_code, task).
// Callbacks, use_future, deferred and as_tuple work too.
//
// Cancellation: every operation honours terminal cancellation through the
// handler's cancellation slot; it completes with operation_aborted and leaves
// nothing pending. Cancelling a run() after its request went out completes with
// operation_aborted, and the task may exist: the service is not asked to cancel it.
//
// Threads: the client keeps its state on an internal strand of the executor
// it was given, so its asynchronous operations may be started from any thread
// running that io_context. stats() reads counters directly: call it from
// get_executor() (the strand) or while no thread runs the io_context.
// attach() subscribes to the listener directly: call it before the listener's
// executor runs, or on it. Emit a cancellation signal from the executor of the
// operation's handler, as Asio requires of every operation.
//
// Lifetime: operations keep the client's state alive; destroying the client
// completes pending waits with errc::client_shut_down.

#include <runninghub/error.hpp>
#include <runninghub/models.hpp>
#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

namespace runninghub {

class webhook_listener;

/// How a client uses an attached webhook listener.
struct attach_options {
    duration safety_poll_interval = std::chrono::seconds(60);  // polling while events are expected
    bool fill_webhook_url = true;  // run() sends the listener's callback_url() as webhookUrl
};

/// How long `wait` may take and how it polls.
struct wait_options {
    duration timeout = std::chrono::minutes(30);  // then errc::wait_timeout with the last task seen
    std::optional<poll_policy> poll;              // default: client_options::poll
};

/// One deadline over the throttle queue, the submit and the wait.
struct run_and_wait_options {
    duration timeout = std::chrono::minutes(30);
    /// On the deadline or a cancellation, ask the service to cancel a task it accepted.
    bool cancel_on_abort = true;
    std::optional<poll_policy> poll;
};

/// What run_and_wait hands over, whatever the outcome.
struct run_result {
    task t;                         // the last known state of the task (no id: never accepted)
    bool cancel_requested = false;  // the service was asked to cancel it
    bool cancel_confirmed = false;  // and answered that it did
};

class client {
public:
    using executor_type = boost::asio::any_io_executor;
    using task_handler = boost::asio::any_completion_handler<void(error_code, task)>;
    using result_handler = boost::asio::any_completion_handler<void(error_code, run_result)>;

    /// Throws runninghub::error when the options are invalid (no I/O is done).
    client(executor_type ex, client_options opts);
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ~client();

    /// The client's strand (on the executor given to the constructor).
    executor_type get_executor() const noexcept;

    /// POST /openapi/v2/run/ai-app/{id}. Completes with the accepted task
    /// (QUEUED or RUNNING), or: a service code (421 task_queue_maxed, 1002
    /// invalid_api_key, 901 webapp_not_exists …); a transport error when the
    /// request was not sent (no task was created); errc::submit_outcome_unknown
    /// when it was sent and no valid answer came back (diag.cause says why):
    /// the task may exist, do not resubmit blindly; errc::task_failed when the
    /// service rejected the workflow at once (FAILED).
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto run(ai_app app, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_run, false, std::move(app.id),
                        std::move(inputs), std::move(opts));
    }

    /// POST /openapi/v2/run/workflow/{id}; as run(ai_app) above.
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto run(workflow wf, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_run, true, std::move(wf.id),
                        std::move(inputs), std::move(opts));
    }

    /// POST /openapi/v2/query once (retried on transient faults per retry_policy).
    /// Any status completes without error; errors are transport or service codes.
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto query(std::string task_id, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_query, std::move(task_id));
    }

    /// Polls until the task is SUCCESS (no error), FAILED (errc::task_failed)
    /// or CANCEL (errc::task_cancelled), or until opts.timeout
    /// (errc::wait_timeout). The task is handed over in every case.
    /// Pending waits cost a small record each on one shared timer.
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto wait(std::string task_id, wait_options opts = {}, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_wait, std::move(task_id),
                        std::move(opts));
    }

    /// Waits started from now on query their task as soon as the listener
    /// receives its TASK_END event, and otherwise poll only every
    /// safety_poll_interval. The listener may be destroyed first: polling then
    /// simply goes on. Call on the client's executor.
    void attach(webhook_listener& listener, attach_options opts = {});
    void detach();

    /// POST /task/openapi/cancel (key in the body and as Bearer). Completes
    /// without error when the service accepted the cancellation; 807
    /// apikey_task_not_found for an unknown task. The task's gate slot frees.
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto cancel(std::string task_id, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_cancel, std::move(task_id));
    }

    /// Submit and wait under one deadline (opts.timeout): the throttle queue,
    /// the submit and the wait all count. On the deadline
    /// (errc::deadline_exceeded) or a cancellation (operation_aborted) an
    /// accepted task is cancelled at the service when opts.cancel_on_abort;
    /// the result says whether that was requested and confirmed. Other
    /// errors as run() and wait().
    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto run_and_wait(ai_app app, std::vector<node_input> inputs, run_options ro = {}, run_and_wait_options opts = {},
                      CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, run_result)>(
            [](auto handler, std::shared_ptr<impl> self, std::string id, std::vector<node_input> in, run_options r,
               run_and_wait_options o) {
                start_run_and_wait(std::move(self), false, std::move(id), std::move(in),
                                   std::move(r), std::move(o), result_handler(std::move(handler)));
            },
            token, impl_, std::move(app.id), std::move(inputs), std::move(ro), std::move(opts));
    }

    template <class CompletionToken = boost::asio::use_awaitable_t<>>
    auto run_and_wait(workflow wf, std::vector<node_input> inputs, run_options ro = {}, run_and_wait_options opts = {},
                      CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, run_result)>(
            [](auto handler, std::shared_ptr<impl> self, std::string id, std::vector<node_input> in, run_options r,
               run_and_wait_options o) {
                start_run_and_wait(std::move(self), true, std::move(id), std::move(in),
                                   std::move(r), std::move(o), result_handler(std::move(handler)));
            },
            token, impl_, std::move(wf.id), std::move(inputs), std::move(ro), std::move(opts));
    }

    client_stats stats() const;
    const client_options& options() const noexcept;

    struct impl;

private:
    template <class Token, class Fn, class... Args>
    auto initiate(Token&& token, Fn fn, Args&&... args) {
        return boost::asio::async_initiate<Token, void(error_code, task)>(
            [fn](auto handler, std::shared_ptr<impl> self, auto&&... a) {
                fn(std::move(self), std::move(a)..., task_handler(std::move(handler)));
            },
            token, impl_, std::forward<Args>(args)...);
    }

    static void start_run(std::shared_ptr<impl>, bool workflow, std::string id, std::vector<node_input>,
                          run_options, task_handler);
    static void start_query(std::shared_ptr<impl>, std::string id, task_handler);
    static void start_wait(std::shared_ptr<impl>, std::string id, wait_options, task_handler);
    static void start_cancel(std::shared_ptr<impl>, std::string id, task_handler);
    static void start_run_and_wait(std::shared_ptr<impl>, bool workflow, std::string id, std::vector<node_input>,
                                   run_options, run_and_wait_options, result_handler);

    std::shared_ptr<impl> impl_;
};

} // namespace runninghub
