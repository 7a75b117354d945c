#include "client/client_impl.hpp"
#include "codec/codec.hpp"

#include <runninghub/webhook.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;

namespace runninghub {
namespace {

client_options checked(client_options o) {
    std::string why;
    if (auto ec = o.validate(&why))
        throw error(ec, why);
    return o;
}

// The client's strand. Over an io_context's own executor it is a concrete
// strand<io_context::executor_type>, small enough for any_io_executor's inline
// storage: Boost 1.81 otherwise allocates on every work-tracking prefer and
// blocking query of a strand<any_io_executor> (~40 allocations per request).
asio::any_io_executor strand_of(const asio::any_io_executor& e) {
    if (auto* io = e.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(e);
}

detail::origin origin_of(const client_options& o) {
    detail::origin r;
    detail::parse_origin(o.base_url, r);
    return r;
}

} // namespace

namespace detail {

std::string run_arguments_error(bool workflow, const std::vector<node_input>& inputs, const run_options& opts) {
    if (!workflow && (!opts.workflow_json.empty() || opts.add_metadata))
        return "run_options::workflow_json and add_metadata apply to workflows, not AI apps";
    for (auto& in : inputs)
        if (in.node_id.empty() || in.field_name.empty())
            return "every node_input needs a node_id and a field_name";
    return {};
}

void deliver(const asio::any_io_executor& ex, client::task_handler h, error_code ec, task t) {
    auto hex = asio::get_associated_executor(h, ex);
    asio::post(ex, asio::bind_executor(hex, [h = std::move(h), ec, t = std::move(t)]() mutable {
                   std::move(h)(ec, std::move(t));
               }));
}

} // namespace detail

client::impl::impl(asio::any_io_executor e, client_options o)
    : ex(o.single_threaded ? e : strand_of(e)), opts(checked(std::move(o))), log(opts.logger, opts.log_threshold, opts.api_key),
      base(origin_of(opts)), http(ex, opts, log), rng(std::random_device{}()),
      gate(ex, opts.throttle.max_in_flight_tasks), limiter(opts.throttle.requests_per_second, opts.throttle.burst),
      budget(opts.retry.budget_tokens, opts.retry.budget_refill), waits(*this) {}

void client::impl::shutdown() {
    waits.shutdown();
    gate.shutdown();
    http.shutdown();
}

asio::awaitable<error_code> client::impl::sleep(duration d) {
    asio::steady_timer timer(ex, d);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

asio::awaitable<error_code> client::impl::pace() {
    auto d = limiter.reserve(clock::now());
    if (d <= duration::zero())
        co_return error_code{};
    co_return co_await sleep(d);
}

std::optional<duration> client::impl::next_retry(const detail::outcome& o, const retry_policy& p, unsigned attempt,
                                                time_point started) {
    if (attempt >= p.max_attempts)
        return std::nullopt;
    auto delay = detail::backoff_delay(p, attempt, uniform());
    if (o.retry_after >= duration::zero())
        delay = std::max(delay, std::min(o.retry_after, p.max_retry_after));
    if (clock::now() + delay - started > p.max_elapsed)
        return std::nullopt;
    if (!budget.try_spend()) {
        ++counters.retries.budget_exhausted;
        return std::nullopt;
    }
    auto& r = counters.retries;
    const auto& ec = o.ec;
    if (is_backpressure(ec))
        ++r.backpressure;
    else if (ec == errc::protocol_error)
        ++r.protocol;
    else if (ec == errc::http_server_error || ec == errc::server_unknown_error || ec == errc::unknown_error ||
             ec == errc::internal_server_error || ec == errc::upstream_exception || ec == errc::apikey_upload_failed)
        ++r.server_error;
    else if (ec == errc::resolve_timeout || ec == errc::connect_timeout || ec == errc::tls_handshake_timeout ||
             ec == errc::write_timeout || ec == errc::read_timeout || ec == errc::pool_wait_timeout)
        ++r.timeout;
    else
        ++r.transport;
    return delay;
}

void client::impl::task_ended(const std::string& id, bool seen) {
    auto it = tasks_in_flight.find(id);
    if (it == tasks_in_flight.end())
        return;
    if (seen)
        counters.task_latency.record(clock::now() - it->second);
    tasks_in_flight.erase(it);
    gate.release();
}

namespace {
void count_into(endpoint_stats& e, const error_code& ec) {
    if (!ec)
        ++e.ok;
    else if (ec.category() == category() && ec.value() < 20000)
        ++e.service_error;
    else
        ++e.transport_error;
}
} // namespace

void client::impl::count_call(std::string_view name, const error_code& ec) {
    auto it = other_calls.find(name);
    if (it == other_calls.end())
        it = other_calls.emplace(std::string(name), endpoint_stats{}).first;
    count_into(it->second, ec);
}

asio::awaitable<detail::reply> client::impl::call_json(detail::http_request req, std::string_view name,
                                                      duration timeout, bool (*state_code)(const error_code&)) {
    auto self = shared_from_this();
    auto started = clock::now();
    if (timeout <= duration::zero())
        timeout = opts.timeout.request;
    for (unsigned attempt = 1;; ++attempt) {
        detail::reply r;
        r.diag.endpoint = std::string(name);
        if (req.source && attempt > 1 && (r.ec = req.source->rewind()))
            co_return r;
        if (limiter.enabled() && (r.ec = co_await pace()))
            co_return r;
        r.raw = co_await http.request(base, req, clock::now() + timeout);
        detail::outcome o;
        if (r.raw.ec) {
            r.ec = r.raw.ec;
            r.diag.server_message = r.raw.detail;
        } else {
            r.ec = detail::decode_envelope({r.raw.status, r.raw.body, r.raw.retry_after}, r.data, r.diag);
            if (auto ra = detail::parse_retry_after(r.raw.retry_after, std::chrono::system_clock::now()))
                o.retry_after = *ra;
        }
        bool answered = !r.ec || (state_code && state_code(r.ec));
        count_call(name, answered ? error_code{} : r.ec);
        if (answered) {
            budget.on_success();
            co_return r;
        }
        o.ec = r.ec;
        bool repeat = req.idempotent ? is_retryable(r.ec) : (!r.raw.request_written && is_retryable(r.ec));
        auto delay = repeat ? next_retry(o, opts.retry.query, attempt, started) : std::nullopt;
        if (!delay)
            co_return r;
        if (auto ec = co_await sleep(*delay)) {
            r.ec = ec;
            co_return r;
        }
    }
}

void client::impl::count_call(endpoint which, const error_code& ec) { count_into(calls[which], ec); }

asio::awaitable<detail::outcome> client::impl::submit_once(const detail::http_request& req, endpoint which) {
    detail::outcome r;
    r.t.diag.endpoint = "POST " + std::string(req.target);
    if (auto ec = limiter.enabled() ? co_await pace() : error_code{}) {
        r.ec = ec;
        co_return r;
    }
    auto started = clock::now();
    auto res = co_await http.request(base, req, started + opts.timeout.request);
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
        co_return r;
    }
    r.ec = detail::decode_task({res.status, res.body, res.retry_after}, r.t, r.t.diag);
    if (r.ec == errc::protocol_error || r.ec == errc::http_server_error || r.ec == errc::http_unexpected_status) {
        // An answer we cannot read (5xx, malformed JSON): the task may exist.
        r.t.diag.cause = r.ec;
        r.ec = make_error_code(errc::submit_outcome_unknown);
    } else if (r.ec) {
        if (auto ra = detail::parse_retry_after(res.retry_after, std::chrono::system_clock::now()))
            r.retry_after = *ra;
    }
    count_call(which, r.ec);
    co_return r;
}

asio::awaitable<detail::outcome> client::impl::do_run(std::string id, std::vector<node_input> inputs,
                                                      run_options ro, bool workflow) {
    if (ro.webhook_url.empty())
        ro.webhook_url = webhook_url;  // an attached listener's callback URL
    std::string path = (workflow ? "/openapi/v2/run/workflow/" : "/openapi/v2/run/ai-app/") + id;
    return submit(std::move(path), detail::encode_run_body(inputs, ro, workflow), workflow ? run_workflow : run_ai_app);
}

asio::awaitable<detail::outcome> client::impl::submit(std::string path, std::string body, endpoint which) {
    auto self = shared_from_this();
    detail::http_request req;
    req.target = path;
    req.body = std::move(body);

    // A gate slot held by this submission; given back unless the task takes it.
    struct slot_guard {
        client::impl* owner;
        bool held = false;
        void release() {
            if (std::exchange(held, false))
                owner->gate.release();
        }
        ~slot_guard() { release(); }
    } slot{this};

    detail::outcome r;
    auto started = clock::now();
    for (unsigned attempt = 1;; ++attempt) {
        if (gate.enabled() && !slot.held) {
            if (auto ec = co_await gate.acquire()) {
                r = {};
                r.ec = ec;
                r.t.diag.endpoint = "POST " + path;
                co_return r;
            }
            slot.held = true;
        }
        r = co_await submit_once(req, which);
        if (!r.ec) {
            ++counters.submits_accepted;
            budget.on_success();
            gate.on_accepted();
            auto tips = parse_prompt_tips(r.t.prompt_tips);
            if (r.t.status == task_status::failed || (tips && tips->has_node_errors())) {
                r.t.diag.endpoint = "POST " + path;
                r.t.diag.server_code = r.t.error_code;
                r.t.diag.server_message = r.t.error_message;
                if (tips && tips->has_node_errors())
                    r.t.diag.server_message += (r.t.diag.server_message.empty() ? "node_errors: " : "; node_errors: ") +
                                               boost::json::serialize(tips->node_errors);
                else if (r.t.diag.server_message.empty())
                    r.t.diag.server_message = r.t.prompt_tips;
                r.ec = make_error_code(errc::task_failed);
            } else if (!is_terminal(r.t.status)) {
                tasks_in_flight.emplace(r.t.id, clock::now());
                slot.held = false;  // the task holds the slot until the client sees it end
            }
            co_return r;
        }
        if (r.ec == errc::task_queue_maxed)
            gate.on_queue_maxed("421 TASK_QUEUE_MAXED with " + std::to_string(gate.stats().in_flight) +
                                " submissions in flight");
        if (r.ec == asio::error::operation_aborted || r.ec == errc::client_shut_down)
            co_return r;
        // Repeat only what certainly created no task.
        bool not_created = r.sent ? is_backpressure(r.ec) : is_retryable(r.ec);
        auto delay = not_created ? next_retry(r, opts.retry.submit, attempt, started) : std::nullopt;
        if (!delay) {
            r.ec == errc::submit_outcome_unknown ? ++counters.submits_unknown : ++counters.submits_rejected;
            co_return r;
        }
        ++counters.submit_retries;
        if (log.enabled(log_level::info))
            log(log_level::info, "submit " + path + ": " + r.ec.message() + "; repeating (attempt " +
                                     std::to_string(attempt + 1) + ")");
        slot.release();  // others may use the slot during the backoff
        if (auto ec = co_await sleep(*delay)) {
            r = {};
            r.ec = ec;
            co_return r;
        }
    }
}

asio::awaitable<detail::outcome> client::impl::query_once(std::string_view id, time_point deadline) {
    detail::outcome r;
    if (auto ec = limiter.enabled() ? co_await pace() : error_code{}) {
        r.ec = ec;
        co_return r;
    }
    detail::http_request req;
    req.target = "/openapi/v2/query";
    req.body = detail::encode_query_body(id);
    req.idempotent = true;
    ++counters.queries;
    auto started = clock::now();
    auto res = co_await http.request(base, req, std::min(deadline, started + opts.timeout.request));
    counters.query_latency.record(clock::now() - started);
    if (res.ec) {
        r.ec = res.ec;
        r.t.diag.endpoint = "POST /openapi/v2/query";
        r.t.diag.server_message = res.detail;
        count_call(query, r.ec);
        co_return r;
    }
    r.ec = detail::decode_task({res.status, res.body, res.retry_after}, r.t, r.t.diag);
    count_call(query, r.ec);
    if (r.ec) {
        r.t.diag.endpoint = "POST /openapi/v2/query";
        if (auto ra = detail::parse_retry_after(res.retry_after, std::chrono::system_clock::now()))
            r.retry_after = *ra;
        co_return r;
    }
    budget.on_success();
    if (is_terminal(r.t.status))
        task_ended(r.t.id);
    co_return r;
}

asio::awaitable<detail::outcome> client::impl::do_query(std::string id) {
    auto self = shared_from_this();
    auto started = clock::now();
    for (unsigned attempt = 1;; ++attempt) {
        auto r = co_await query_once(id, clock::now() + opts.timeout.request);
        auto delay = r.ec && is_retryable(r.ec) ? next_retry(r, opts.retry.query, attempt, started) : std::nullopt;
        if (!delay)
            co_return r;
        ++counters.query_retries;
        if (auto ec = co_await sleep(*delay))
            co_return detail::outcome{ec, {}, {}};
    }
}

asio::awaitable<detail::outcome> client::impl::do_cancel(std::string id) {
    detail::http_request req;
    req.target = "/task/openapi/cancel";
    req.body = detail::encode_legacy_task_body(opts.api_key, id);
    req.idempotent = true;  // cancelling twice is harmless
    auto r = co_await call_json(std::move(req), "POST /task/openapi/cancel");
    if (!r.ec)
        task_ended(id);  // the account no longer runs it
    detail::outcome o;
    o.ec = r.ec;
    o.t.id = std::move(id);
    o.t.diag = std::move(r.diag);
    co_return o;
}

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {}

client::client(client&&) noexcept = default;
client& client::operator=(client&& o) noexcept {
    if (impl_ && impl_ != o.impl_)
        impl_->shutdown();
    impl_ = std::move(o.impl_);
    return *this;
}
client::~client() {
    if (impl_)
        impl_->shutdown();
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }
const client_options& client::options() const noexcept { return impl_->opts; }

client_stats client::stats() const {
    client_stats s = impl_->counters;
    s.pool = impl_->http.stats();
    s.waits_pending = impl_->waits.pending();
    s.throttle = impl_->gate.stats();
    s.tasks_in_flight = impl_->tasks_in_flight.size();
    for (std::size_t i = 0; i < impl::endpoint_count; ++i)
        if (auto& e = impl_->calls[i]; e.ok || e.service_error || e.transport_error)
            s.endpoints[impl::endpoint_names[i]] = e;
    for (auto& [name, e] : impl_->other_calls)
        s.endpoints[name] = e;
    s.waits_completed = impl_->waits.completed();
    return s;
}

void client::attach(webhook_listener& listener, attach_options o) {
    std::string url = o.fill_webhook_url ? listener.callback_url() : std::string();
    auto self = impl_;
    auto gen = ++self->webhook_generation;  // atomic: events of older attachments are dropped
    std::weak_ptr<impl> weak = self;
    // Events arrive on the listener's executor; the waits live on the client's strand.
    listener.subscribe([weak, gen](const webhook_event& e) {
        if (auto s = weak.lock(); s && s->webhook_generation == gen)
            asio::dispatch(s->ex, [s, gen, id = e.task_id] {
                if (s->webhook_generation == gen)
                    s->waits.on_event(id);
            });
    });
    asio::dispatch(self->ex, [self, url = std::move(url), safety = o.safety_poll_interval] {
        self->webhook_url = url;
        self->waits.set_safety_interval(safety);
    });
    if (impl_->log.enabled(log_level::info))
        impl_->log(log_level::info, "webhook listener attached (port " + std::to_string(listener.port()) + ")");
}

void client::detach() {
    auto self = impl_;
    ++self->webhook_generation;
    asio::dispatch(self->ex, [self] {
        self->webhook_url.clear();
        self->waits.set_safety_interval(duration::zero());
    });
}

void client::start_run(std::shared_ptr<impl> self, bool workflow, std::string id, std::vector<node_input> inputs,
                       run_options opts, task_handler h) {
    if (!detail::check_id(self, h, "id", id))
        return;
    if (auto why = detail::run_arguments_error(workflow, inputs, opts); !why.empty())
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options, std::move(why));
    auto op = self->do_run(std::move(id), std::move(inputs), std::move(opts), workflow);
    detail::launch(self, std::move(op), std::move(h));
}

void client::start_query(std::shared_ptr<impl> self, std::string id, task_handler h) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    auto op = self->do_query(std::move(id));
    detail::launch(self, std::move(op), std::move(h));
}

void client::start_cancel(std::shared_ptr<impl> self, std::string id, task_handler h) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    auto op = self->do_cancel(std::move(id));
    detail::launch(self, std::move(op), std::move(h));
}

void client::start_run_and_wait(std::shared_ptr<impl> self, bool workflow, std::string id,
                                std::vector<node_input> inputs, run_options ro, run_and_wait_options o,
                                result_handler h) {
    // A composed operation: run, then wait, each bound to an inner
    // cancellation signal that the deadline timer or the caller's own
    // cancellation emits; then, if a task was accepted, cancel it.
    struct op : std::enable_shared_from_this<op> {
        op(std::shared_ptr<impl> s, result_handler handler, run_and_wait_options options)
            : self(std::move(s)), h(std::move(handler)), opts(std::move(options)), deadline(self->ex) {}

        struct canceller {
            op* o;
            void operator()(asio::cancellation_type_t) const {
                asio::post(o->self->ex, [keep = o->shared_from_this()] { keep->abort(asio::error::operation_aborted); });
            }
        };

        void start(bool workflow, std::string id, std::vector<node_input> inputs, run_options ro) {
            auto slot = asio::get_associated_cancellation_slot(h);
            if (slot.is_connected())
                slot.template emplace<canceller>(canceller{this});
            deadline.expires_after(opts.timeout);
            deadline.async_wait([keep = shared_from_this()](error_code ec) {
                if (!ec)
                    keep->abort(make_error_code(errc::deadline_exceeded));
            });
            client::start_run(self, workflow, std::move(id), std::move(inputs), std::move(ro),
                              task_handler(asio::bind_cancellation_slot(
                                  inner.slot(), [keep = shared_from_this()](error_code ec, task t) {
                                      keep->on_run(ec, std::move(t));
                                  })));
        }

        void on_run(error_code ec, task t) {
            bool accepted = !ec && !t.id.empty();
            result.t = std::move(t);
            if (abort_reason) {
                if (!accepted && ec == asio::error::operation_aborted)
                    result.t.diag.server_message = "aborted while submitting: if the request had gone out, the task may exist";
                return accepted ? cancel_task() : complete(abort_reason);
            }
            if (!accepted)
                return complete(ec);
            wait_options wo;
            wo.timeout = opts.timeout + std::chrono::minutes(1);  // the deadline timer decides
            wo.poll = opts.poll;
            client::start_wait(self, result.t.id, std::move(wo),
                               task_handler(asio::bind_cancellation_slot(
                                   inner.slot(), [keep = shared_from_this()](error_code ec, task t) {
                                       keep->on_wait(ec, std::move(t));
                                   })));
        }

        void on_wait(error_code ec, task t) {
            if (!t.id.empty())
                result.t = std::move(t);
            if (abort_reason)
                return is_terminal(result.t.status) ? complete(abort_reason) : cancel_task();
            complete(ec);
        }

        void abort(error_code reason) {
            if (finished || abort_reason)
                return;
            abort_reason = reason;
            inner.emit(asio::cancellation_type::terminal);
        }

        void cancel_task() {
            if (!opts.cancel_on_abort)
                return complete(abort_reason);
            result.cancel_requested = true;
            client::start_cancel(self, result.t.id,
                                 task_handler([keep = shared_from_this()](error_code ec, task) {
                                     keep->result.cancel_confirmed = !ec;
                                     if (ec)
                                         keep->result.t.diag.cause = ec;
                                     keep->complete(keep->abort_reason);
                                 }));
        }

        void complete(error_code ec) {
            if (finished)
                return;
            finished = true;
            deadline.cancel();
            asio::get_associated_cancellation_slot(h).clear();
            auto hex = asio::get_associated_executor(h, self->ex);
            asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), ec, r = std::move(result)]() mutable {
                           std::move(h)(ec, std::move(r));
                       }));
        }

        std::shared_ptr<impl> self;
        result_handler h;
        run_and_wait_options opts;
        asio::steady_timer deadline;
        asio::cancellation_signal inner;
        run_result result;
        error_code abort_reason;
        bool finished = false;
    };
    if (o.timeout <= duration::zero()) {
        run_result r;
        r.t.diag.server_message = "run_and_wait_options::timeout must be positive";
        auto hex = asio::get_associated_executor(h, self->ex);
        asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), r = std::move(r)]() mutable {
                       std::move(h)(make_error_code(errc::invalid_options), std::move(r));
                   }));
        return;
    }
    auto ex = self->ex;
    auto o_ptr = std::make_shared<op>(std::move(self), std::move(h), std::move(o));
    asio::dispatch(ex, [o_ptr, workflow, id = std::move(id), inputs = std::move(inputs), ro = std::move(ro)]() mutable {
        o_ptr->start(workflow, std::move(id), std::move(inputs), std::move(ro));
    });
}

void client::start_wait(std::shared_ptr<impl> self, std::string id, wait_options opts, task_handler h) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    if (opts.timeout <= duration::zero())
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options, "wait_options::timeout must be positive");
    if (opts.poll) {
        client_options probe = self->opts;
        probe.poll = *opts.poll;
        std::string why;
        if (probe.validate(&why))
            return detail::fail_as<task>(self, std::move(h), errc::invalid_options, why);
    }
    // The scheduler's state belongs to the client's executor.
    auto ex = self->ex;
    asio::dispatch(ex, [self = std::move(self), id = std::move(id), opts = std::move(opts), h = std::move(h)]() mutable {
        self->waits.add(std::move(id), std::move(opts), std::move(h));
    });
}

} // namespace runninghub
