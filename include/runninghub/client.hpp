// SPDX-License-Identifier: BSL-1.0
#pragma once
// runninghub::client: submit tasks, query them, wait for them.
//
// Every asynchronous operation follows Asio's universal model: the last
// argument is a completion token, the handler's signature is
// void(error_code, T) with T named in the operation's contract below.
// The default token (default_token, with_diagnostics.hpp) makes `co_await
// client.run(...)` return T or throw runninghub::error carrying the service's
// code, message and endpoint. Callbacks, use_awaitable, use_future, deferred
// and as_tuple work too; every T carries `diag` for them.
//
// Cancellation: every operation honours terminal cancellation through the
// handler's cancellation slot; it completes with operation_aborted and leaves
// nothing pending in the client. Side effects at the service are named per
// operation (a submit's request may already be out: the task may exist).
//
// Threads: the client keeps its state on an internal strand of the executor
// it was given, so its asynchronous operations may be started from any thread
// (with single_threaded: from the one thread running the io_context), and it
// may be destroyed on any thread: it shuts down on its strand (see Lifetime).
// stats() reads counters directly: call it from
// get_executor() (the strand) or while no thread runs the io_context.
// attach() subscribes to the listener directly: call it before the listener's
// executor runs, or on it. Emit a cancellation signal from the executor of the
// operation's handler, as Asio requires of every operation.
//
// Lifetime: operations keep the client's state alive; destroying the client
// completes pending waits, queued submits and backoff sleeps with
// errc::client_shut_down as soon as its executor runs (a request already out
// ends at its deadline at the latest).

#include <runninghub/detail/unslotted.hpp>
#include <runninghub/error.hpp>
#include <runninghub/models.hpp>
#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>
#include <runninghub/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace runninghub {

class webhook_listener;

namespace detail {
struct client_impl;  // the client's state (src/client/)
struct run_and_wait_op;
template <class T>
using handler = boost::asio::any_completion_handler<void(error_code, T)>;
enum class legacy_kind { create, ai_app, quick };
enum class upload_kind { v2, legacy, lora };

/// Where a run, query or wait completes: the caller's cancellation slot, and
/// the handler's executor when it is an any_io_executor (a coroutine's), so
/// that the completion needs no type-erased executor of its own (each one is
/// a heap block). `erased`: ask the erased handler for its executor instead.
struct completion_site {
    boost::asio::cancellation_slot slot;
    boost::asio::any_io_executor ex;  // null and !erased: the handler has none (the client's is used)
    bool erased = true;
};

template <class Handler>
completion_site site_of(const Handler& h) {
    namespace asio = boost::asio;
    completion_site s{asio::get_associated_cancellation_slot(h), {}, true};
    using executor = asio::associated_executor_t<Handler, asio::any_io_executor>;
    if constexpr (std::is_convertible_v<executor, asio::any_io_executor>) {
        s.ex = asio::get_associated_executor(h, asio::any_io_executor());
        s.erased = false;
    }
    return s;
}
} // namespace detail

/// How a client uses an attached webhook listener.
struct attach_options {
    duration safety_poll_interval = std::chrono::seconds(60);  // polling while events are expected
    bool fill_webhook_url = true;  // run() sends the listener's callback_url() as webhookUrl
};

/// How long `wait` may take and how it polls.
struct wait_options {
    duration timeout = std::chrono::minutes(30);  // then errc::wait_timeout with the last task seen
    std::optional<poll_policy> poll;              // default: client_options::poll
    /// Called on the client's executor each time a query sees the task in a
    /// new status before its end (QUEUED, RUNNING …); the end goes to the
    /// handler. It must not throw.
    std::function<void(const task&)> on_status;
    /// Each query of the wait: its own deadline (timeout) and header fields.
    /// `retry` is refused (errc::invalid_options): a wait's failed queries
    /// count against poll.max_poll_errors instead.
    call_overrides call;
};

/// One deadline over the throttle queue, the submit and the wait.
struct run_and_wait_options {
    duration timeout = std::chrono::minutes(30);
    /// On the deadline or a cancellation, ask the service to cancel a task it accepted.
    bool cancel_on_abort = true;
    std::optional<poll_policy> poll;
    /// Called on the client's executor the moment the service accepts the task,
    /// before the wait: the place to persist its id (a crash later loses nothing).
    /// It must not throw.
    std::function<void(const task&)> on_accepted;
    /// As wait_options::on_status, while the task is waited for.
    std::function<void(const task&)> on_status;
};

/// What run_and_wait hands over, whatever the outcome.
struct run_result {
    task t;                         // the last known state of the task (no id: never accepted)
    bool cancel_requested = false;  // the service was asked to cancel it
    bool cancel_confirmed = false;  // and answered that it did
};

class RUNNINGHUB_EXPORT client {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Throws runninghub::error when the options are invalid (no I/O is done).
    client(executor_type ex, client_options opts);
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ~client();

    /// The client's strand (on the executor given to the constructor).
    executor_type get_executor() const noexcept;

    /// POST /openapi/v2/run/ai-app/{id}: submits a paid task.
    /// Handler: void(error_code, task) — the accepted task, QUEUED or RUNNING.
    /// Back-pressure: submits go through the submit gate, a window that learns
    /// the account's concurrency (throttle_options). An answer that the account
    /// is full (421, 415, 804 on a create, 814, 1520) is not an error: no task
    /// was created, so the submit waits, first in line, until a task of this
    /// client is seen to end or a probe delay passes, and goes again, spending
    /// no attempt and no retry budget. It waits until the caller cancels
    /// (operation_aborted; run_and_wait's deadline: deadline_exceeded) or
    /// throttle.backpressure_timeout passes: then the last "full" answer is the
    /// error (e.g. 421 task_queue_maxed, 804 apikey_task_is_running), and
    /// diag.server_message says it waited. No task exists when it ends while
    /// waiting; a cancellation that comes while a request is out is the
    /// "Cancellation" case below.
    /// Errors: a service code (1002 invalid_api_key, 901 webapp_not_exists …):
    /// no task; a transport error before the request was sent: no task;
    /// errc::submit_outcome_unknown: sent, no valid answer (diag.cause says
    /// why; a "busy" answer 429/1003/1010/1011 counts here), the task MAY
    /// exist, do not resubmit blindly — when the answer named a task anyway,
    /// its id is in task.id and wait() on it tells; errc::task_failed: the
    /// service rejected the workflow at once.
    /// Repeats: only what certainly created no task (retry.submit).
    /// Cancellation: terminal; once the request is out the task may exist
    /// (operation_aborted does not cancel it at the service).
    template <class CompletionToken = default_token>
    auto run(ai_app app, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate_slotted(std::forward<CompletionToken>(token), &client::start_run, false, std::move(app.id),
                                std::move(inputs), std::move(opts));
    }

    /// POST /openapi/v2/run/workflow/{id}: submits a paid task. Contract as run(ai_app).
    template <class CompletionToken = default_token>
    auto run(workflow wf, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate_slotted(std::forward<CompletionToken>(token), &client::start_run, true, std::move(wf.id),
                                std::move(inputs), std::move(opts));
    }

    /// POST /openapi/v2/query: the task as the service sees it now.
    /// Handler: void(error_code, task); any status completes without error.
    /// Errors: transport or service codes (807 apikey_task_not_found …), after
    /// the repeats of retry.query (or call.retry); errc::invalid_options when
    /// `call` is. Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
        requires(!std::same_as<std::decay_t<CompletionToken>, call_overrides>)
    auto query(std::string task_id, CompletionToken&& token = {}) {
        return query(std::move(task_id), call_overrides{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto query(std::string task_id, call_overrides call, CompletionToken&& token = {}) {
        return initiate_slotted(std::forward<CompletionToken>(token), &client::start_query, std::move(task_id),
                                std::move(call));
    }

    /// Polls until the task ends. Handler: void(error_code, task), the last
    /// task seen in every case. Errors: none for SUCCESS; errc::task_failed,
    /// errc::task_cancelled; errc::wait_timeout after opts.timeout; a query
    /// error after poll.max_poll_errors transient failures in a row, or a final
    /// one; errc::client_shut_down. Cancellation: terminal; the task goes on at
    /// the service (use cancel() or run_and_wait). A pending wait is a small
    /// record on one shared timer, not a coroutine.
    template <class CompletionToken = default_token>
    auto wait(std::string task_id, wait_options opts = {}, CompletionToken&& token = {}) {
        return initiate_slotted(std::forward<CompletionToken>(token), &client::start_wait, std::move(task_id),
                                std::move(opts));
    }

    /// Waits started from now on query their task as soon as the listener
    /// receives its TASK_END event (also one that came before the wait, for
    /// 30 min), and otherwise poll only every safety_poll_interval. An event
    /// is only a hint: the query decides, and an event it contradicts is
    /// forgotten (here and at the listener), so a forged one costs a query and
    /// the genuine one still counts. The listener may be destroyed first:
    /// polling then simply goes on. Call on the client's executor.
    void attach(webhook_listener& listener, attach_options opts = {});
    /// Waits go back on the normal poll schedule; events no longer wake them.
    void detach();

    /// POST /task/openapi/cancel. Handler: void(error_code, task) (id and
    /// diag). Errors: 807 apikey_task_not_found, transport; invalid_options
    /// when `call` is. Side effect: the task's gate slot frees. Cancellation:
    /// terminal; the request may be out.
    template <class CompletionToken = default_token>
        requires(!std::same_as<std::decay_t<CompletionToken>, call_overrides>)
    auto cancel(std::string task_id, CompletionToken&& token = {}) {
        return cancel(std::move(task_id), call_overrides{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto cancel(std::string task_id, call_overrides call, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_cancel, std::move(task_id),
                        std::move(call));
    }

    /// Submit and wait under one deadline (opts.timeout): the throttle queue,
    /// the submit and the wait all count. ro.call's deadline and header fields
    /// apply to every request (its retry to the submit only). Handler: void(error_code,
    /// run_result). Errors: as run() and wait(); errc::deadline_exceeded.
    /// Cancellation: terminal (operation_aborted); on it or on the deadline an
    /// accepted task is cancelled at the service when opts.cancel_on_abort,
    /// and the result says whether that was requested and confirmed.
    template <class CompletionToken = default_token>
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

    template <class CompletionToken = default_token>
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

    // --- the legacy task API (key in the body, {code,msg,data} envelope).
    // Submits follow run()'s rules: throttled, never repeated once they may
    // have created a task. A create answering FAILED, or carrying node_errors
    // in its promptTips, completes with errc::task_failed and shows them.
    // Handler: void(error_code, task). Cancellation: terminal; a submit's
    // request may be out (the task may exist), a status query has no side effect.

    /// POST /task/openapi/create.
    template <class CompletionToken = default_token>
    auto legacy_create(workflow wf, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_legacy_run, legacy_kind::create,
                        std::move(wf.id), std::string(), std::move(inputs), std::move(opts));
    }

    /// POST /task/openapi/ai-app/run.
    template <class CompletionToken = default_token>
    auto legacy_run(ai_app app, std::vector<node_input> inputs, run_options opts = {}, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_legacy_run, legacy_kind::ai_app,
                        std::move(app.id), std::string(), std::move(inputs), std::move(opts));
    }

    /// POST /task/openapi/quick-ai-app/run with a "quick create" code; the
    /// inputs are usually app_info::nodes with new values.
    template <class CompletionToken = default_token>
    auto quick_run(ai_app app, std::string quick_create_code, std::vector<node_input> inputs, run_options opts = {},
                   CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_legacy_run, legacy_kind::quick,
                        std::move(app.id), std::move(quick_create_code), std::move(inputs), std::move(opts));
    }

    /// POST /task/openapi/status: the task with only its status.
    /// Handler: void(error_code, task). Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
    auto legacy_status(std::string task_id, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_legacy_query, false, std::move(task_id));
    }

    /// POST /task/openapi/outputs, as a task: SUCCESS with its files (none
    /// when the workflow has no save node); 804/813 become RUNNING/QUEUED
    /// (outputs lag a moment behind SUCCESS); 805 becomes FAILED with
    /// failed_reason. Errors are transport or other service codes (807 …).
    template <class CompletionToken = default_token>
    auto legacy_outputs(std::string task_id, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_legacy_query, true, std::move(task_id));
    }

    /// POST /openapi/v2/{endpoint} of the Standard Model API, e.g.
    /// call_model("rhart-image-v1/text-to-image", {{"prompt", "a cat"}}).
    /// The parameters keep their JSON types. A submit (run()'s rules); the
    /// task may already be SUCCESS with its results.
    template <class CompletionToken = default_token>
        requires(!std::same_as<std::decay_t<CompletionToken>, run_options>)
    auto call_model(std::string endpoint, boost::json::object params, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_call_model, std::move(endpoint),
                        std::move(params), run_options{});
    }

    /// The same with run options: of them, a model call uses webhook_url
    /// (sent as webhookUrl) and on_submit.
    template <class CompletionToken = default_token>
    auto call_model(std::string endpoint, boost::json::object params, run_options opts, CompletionToken&& token = {}) {
        return initiate(std::forward<CompletionToken>(token), &client::start_call_model, std::move(endpoint),
                        std::move(params), std::move(opts));
    }

    // --- uploads. Files stream from disk in bounded memory; a missing or
    // unreadable file fails with errc::file_error before any request.
    // Handler: void(error_code, uploaded_file). Repeated on transient faults
    // (the same bytes land under the same name). Cancellation: terminal; a
    // partly sent upload leaves nothing usable.

    /// POST /openapi/v2/media/upload/binary: file_name for ComfyUI load
    /// nodes, download_url for Standard Model API fields.
    template <class CompletionToken = default_token>
    auto upload(upload_file file, CompletionToken&& token = {}) {
        return initiate_as<uploaded_file>(std::forward<CompletionToken>(token), &client::start_upload,
                                          upload_kind::v2, std::move(file), std::string());
    }

    /// POST /task/openapi/upload (fileType image, video, audio or input).
    /// Files over 30 MB fail with errc::file_too_large before sending (the
    /// service would answer 809).
    template <class CompletionToken = default_token>
    auto legacy_upload(upload_file file, std::string file_type = "input", CompletionToken&& token = {}) {
        return initiate_as<uploaded_file>(std::forward<CompletionToken>(token), &client::start_upload,
                                          upload_kind::legacy, std::move(file), std::move(file_type));
    }

    /// A LoRA for RHLoraLoader: MD5 of the file, POST
    /// /api/openapi/getLoraUploadUrl, then PUT of the bytes to the returned
    /// URL (no API key is sent there). file_name is usable at once.
    template <class CompletionToken = default_token>
    auto upload_lora(upload_file file, std::string lora_name, CompletionToken&& token = {}) {
        return initiate_as<uploaded_file>(std::forward<CompletionToken>(token), &client::start_upload,
                                          upload_kind::lora, std::move(file), std::move(lora_name));
    }

    // --- downloads. Result URLs may be on other hosts (a CDN): they use the
    // same pool per origin and TLS rules, and never receive the API key.
    // Handler: void(error_code, download_result). Errors: errc::file_error,
    // size_mismatch, checksum_mismatch, HTTP and transport errors once the
    // attempts are spent. Cancellation: terminal; a "<file>.part" stays for a
    // later call to resume.

    /// Downloads into `destination` (a file, or an existing directory: then
    /// the URL's file name). Bytes go to "<file>.part", renamed when complete
    /// and verified (Content-Length, Content-MD5 or an MD5 ETag). A broken
    /// transfer resumes with Range. A text output is written without a request.
    template <class CompletionToken = default_token>
    auto download(result_file file, std::filesystem::path destination, download_options opts = {},
                  CompletionToken&& token = {}) {
        return initiate_as<download_result>(std::forward<CompletionToken>(token), &client::start_download,
                                            std::move(file), std::move(destination), download_sink(),
                                            std::move(opts));
    }

    /// Streams the file into `sink` (each byte once, also across resumes).
    template <class CompletionToken = default_token>
    auto download(result_file file, download_sink sink, download_options opts = {}, CompletionToken&& token = {}) {
        return initiate_as<download_result>(std::forward<CompletionToken>(token), &client::start_download,
                                            std::move(file), std::filesystem::path(), std::move(sink),
                                            std::move(opts));
    }

    // --- account, webhooks, metadata

    /// POST /uc/openapi/accountStatus. Handler: void(error_code, account_status).
    /// Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
    auto account(CompletionToken&& token = {}) {
        return initiate_as<account_status>(std::forward<CompletionToken>(token), &client::start_account);
    }

    /// GET /openapi/v2/queue/status: the key's concurrent limit and its
    /// running and queued tasks. Handler signature void(error_code,
    /// queue_status). Errors: transport, or a service code (the endpoint is
    /// "in development" at the service; expect an error where it is missing).
    /// Cancellation: terminal; nothing is created, the call may be repeated.
    template <class CompletionToken = default_token>
    auto queue_status(CompletionToken&& token = {}) {
        return initiate_as<runninghub::queue_status>(std::forward<CompletionToken>(token), &client::start_queue_status);
    }

    /// POST /task/openapi/getWebhookDetail. Handler: void(error_code,
    /// webhook_record). Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
    auto webhook_detail(std::string task_id, CompletionToken&& token = {}) {
        return initiate_as<webhook_record>(std::forward<CompletionToken>(token), &client::start_webhook_detail,
                                           std::move(task_id));
    }

    /// POST /task/openapi/retryWebhook: send the record again, to `url`.
    /// Handler: void(error_code, acknowledgement). Cancellation: terminal; the
    /// request may be out (the listener deduplicates a second delivery).
    template <class CompletionToken = default_token>
    auto retry_webhook(std::string webhook_id, std::string url, CompletionToken&& token = {}) {
        return initiate_as<acknowledgement>(std::forward<CompletionToken>(token), &client::start_retry_webhook,
                                            std::move(webhook_id), std::move(url));
    }

    /// GET /api/webapp/apiCallDemo: the app's inputs with their defaults.
    /// Handler: void(error_code, app_info). Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
    auto app_details(ai_app app, CompletionToken&& token = {}) {
        return initiate_as<app_info>(std::forward<CompletionToken>(token), &client::start_app_details,
                                     std::move(app.id));
    }

    /// POST /api/openapi/getJsonApiFormat. Handler: void(error_code,
    /// workflow_definition). Cancellation: terminal, no side effect.
    template <class CompletionToken = default_token>
    auto workflow_json(workflow wf, CompletionToken&& token = {}) {
        return initiate_as<workflow_definition>(std::forward<CompletionToken>(token), &client::start_workflow_json,
                                                std::move(wf.id));
    }

    /// Any other JSON endpoint: both envelopes decoded, service codes as errors.
    /// Handler: void(error_code, api_result). Repeated on transient faults only
    /// when req.idempotent. Cancellation: terminal; a POST may be out.
    template <class CompletionToken = default_token>
    auto call_api(api_request req, CompletionToken&& token = {}) {
        return initiate_as<api_result>(std::forward<CompletionToken>(token), &client::start_call_api, std::move(req));
    }

    client_stats stats() const;
    const client_options& options() const noexcept;

private:
    friend struct detail::run_and_wait_op;  // composes run, wait and cancel
    using impl = detail::client_impl;
    template <class T>
    using handler = detail::handler<T>;
    using task_handler = handler<task>;
    using result_handler = handler<run_result>;
    using legacy_kind = detail::legacy_kind;
    using upload_kind = detail::upload_kind;

    template <class T, class Token, class Fn, class... Args>
    auto initiate_as(Token&& token, Fn fn, Args&&... args) {
        return boost::asio::async_initiate<Token, void(error_code, T)>(
            [fn](auto h, std::shared_ptr<impl> self, auto&&... a) {
                fn(std::move(self), std::move(a)..., handler<T>(std::move(h)));
            },
            token, impl_, std::forward<Args>(args)...);
    }
    template <class Token, class Fn, class... Args>
    auto initiate(Token&& token, Fn fn, Args&&... args) {
        return initiate_as<task>(std::forward<Token>(token), fn, std::forward<Args>(args)...);
    }
    /// run, query and wait: the operation listens on the caller's slot itself;
    /// erased without it, the handler keeps no cancellation state of its own
    /// (one allocation per request, ~48 bytes per pending wait). Its executor
    /// goes along too (completion_site).
    template <class Token, class Fn, class... Args>
    auto initiate_slotted(Token&& token, Fn fn, Args&&... args) {
        return boost::asio::async_initiate<Token, void(error_code, task)>(
            [fn](auto h, std::shared_ptr<impl> self, auto&&... a) {
                auto site = detail::site_of(h);
                fn(std::move(self), std::move(a)..., task_handler(detail::unslotted<decltype(h)>{std::move(h)}),
                   std::move(site));
            },
            token, impl_, std::forward<Args>(args)...);
    }

    static void start_run(std::shared_ptr<impl>, bool workflow, std::string id, std::vector<node_input>,
                          run_options, task_handler, detail::completion_site site = {});
    static void start_query(std::shared_ptr<impl>, std::string id, call_overrides, task_handler,
                            detail::completion_site site = {});
    /// site.slot: the caller's, when `h` was erased without it (wait()); else h's own.
    static void start_wait(std::shared_ptr<impl>, std::string id, wait_options, task_handler,
                           detail::completion_site site = {});
    static void start_cancel(std::shared_ptr<impl>, std::string id, call_overrides, task_handler);
    static void start_legacy_run(std::shared_ptr<impl>, legacy_kind, std::string id, std::string quick_code,
                                 std::vector<node_input>, run_options, task_handler);
    static void start_legacy_query(std::shared_ptr<impl>, bool outputs, std::string id, task_handler);
    static void start_call_model(std::shared_ptr<impl>, std::string endpoint, boost::json::object params, run_options,
                                 task_handler);
    static void start_upload(std::shared_ptr<impl>, upload_kind, upload_file, std::string arg,
                             handler<uploaded_file>);
    static void start_download(std::shared_ptr<impl>, result_file, std::filesystem::path, download_sink,
                               download_options, handler<download_result>);
    static void start_account(std::shared_ptr<impl>, handler<account_status>);
    static void start_queue_status(std::shared_ptr<impl>, handler<runninghub::queue_status>);
    static void start_webhook_detail(std::shared_ptr<impl>, std::string task_id, handler<webhook_record>);
    static void start_retry_webhook(std::shared_ptr<impl>, std::string webhook_id, std::string url,
                                    handler<acknowledgement>);
    static void start_app_details(std::shared_ptr<impl>, std::string app_id, handler<app_info>);
    static void start_workflow_json(std::shared_ptr<impl>, std::string workflow_id, handler<workflow_definition>);
    static void start_call_api(std::shared_ptr<impl>, api_request, handler<api_result>);
    static void start_run_and_wait(std::shared_ptr<impl>, bool workflow, std::string id, std::vector<node_input>,
                                   run_options, run_and_wait_options, result_handler);

    std::shared_ptr<impl> impl_;
};

} // namespace runninghub
