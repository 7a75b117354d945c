// SPDX-License-Identifier: BSL-1.0
#include "client/client_impl.hpp"
#include "core/headers.hpp"

#include <runninghub/webhook.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

namespace asio = boost::asio;
namespace json = boost::json;

namespace runninghub {
namespace {

using detail::endpoint_id;

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

void count_into(endpoint_stats& e, const error_code& ec) {
    if (!ec)
        ++e.ok;
    else if (ec.category() == category() && ec.value() < 20000)
        ++e.service_error;
    else
        ++e.transport_error;
}

detail::window_params window_params_of(const throttle_options& t) {
    detail::window_params p;
    p.cap = t.max_in_flight_tasks;
    p.probe_delay = std::max<duration>(t.probe_delay, std::chrono::milliseconds(10));  // never a busy loop
    p.max_probe_delay = std::max(t.max_probe_delay, p.probe_delay);
    return p;
}


} // namespace

namespace detail {

std::optional<call_settings> settings_of(const call_overrides& o, std::string& why) {
    call_settings cs;
    if (o.timeout && *o.timeout <= duration::zero()) {
        why = "call_overrides::timeout must be positive";
        return std::nullopt;
    }
    if (o.retry && !detail::valid_policy(*o.retry)) {
        why = std::string("call_overrides::retry: ") + detail::retry_policy_rule;
        return std::nullopt;
    }
    cs.timeout = o.timeout.value_or(duration::zero());
    cs.retry = o.retry;
    cs.header_lines = header_lines(o.headers, why);
    if (!why.empty())
        return std::nullopt;
    return cs;
}

std::optional<call_settings> run_settings(bool workflow, const std::vector<node_input>& inputs,
                                          const run_options& opts, std::string& why) {
    if (!workflow && (!opts.workflow_json.empty() || opts.add_metadata))
        why = "run_options::workflow_json and add_metadata apply to workflows, not AI apps";
    for (auto& in : inputs)
        if (why.empty() && (in.node_id.empty() || in.field_name.empty()))
            why = "every node_input needs a node_id and a field_name";
    if (!why.empty())
        return std::nullopt;
    auto cs = settings_of(opts.call, why);
    if (!cs)
        return cs;
    if (auto key = detail::client_written_field(opts); !key.empty())
        why = "run_options::extra_fields has \"" + std::string(key) + "\", a field the client writes itself";
    else if (opts.retain_seconds && *opts.retain_seconds <= 0)
        why = "run_options::retain_seconds must be positive";
    if (!why.empty())
        return std::nullopt;
    return cs;
}

} // namespace detail

detail::client_impl::client_impl(asio::any_io_executor e, client_options o)
    : ex(o.single_threaded ? e : strand_of(e)), opts(checked(std::move(o))),
      log(opts.logger, opts.log_threshold, opts.api_key), base(origin_of(opts)), http(ex, opts, log),
      rng(std::random_device{}()), gate(ex, window_params_of(opts.throttle)),
      limiter(opts.throttle.requests_per_second, opts.throttle.burst),
      retry(opts.retry.budget_tokens, opts.retry.budget_refill), tasks(gate, counters.task_latency),
      waits(ex, opts, tasks,
            [this](std::string_view id, time_point deadline, const detail::call_settings* cs) {
                return query_once(id, deadline, cs);
            },
            log) {}

void detail::client_impl::shutdown() {
    shut_down = true;
    for (auto* s : sleepers)
        s->timer.cancel();
    waits.shutdown();
    gate.shutdown();
    http.shutdown();
}

asio::awaitable<error_code> detail::client_impl::sleep(duration d) {
    if (shut_down)
        co_return make_error_code(errc::client_shut_down);
    detail::sleeper s(sleepers, ex, d);
    auto [ec] = co_await s.timer.async_wait(asio::as_tuple(asio::deferred));
    co_return shut_down ? make_error_code(errc::client_shut_down) : ec;
}

asio::awaitable<error_code> detail::client_impl::pace() {
    auto d = limiter.reserve(clock::now());
    if (d <= duration::zero())
        co_return error_code{};
    co_return co_await sleep(d);
}

std::optional<duration> detail::client_impl::repeat_after(detail::call_kind kind, bool written, const retry_policy& p,
                                                   const error_code& ec, unsigned attempt, time_point started,
                                                   duration retry_after) {
    detail::attempt_facts f{ec, attempt, started, clock::now(), retry_after};
    return retry.decide(kind, written, p, f, uniform());
}

void detail::client_impl::count_call(endpoint_id e, const error_code& ec) { count_into(calls[static_cast<std::size_t>(e)], ec); }

detail::http_request detail::client_impl::request_for(endpoint_id e, std::string_view target) {
    auto& row = detail::row(e);
    detail::http_request req;
    req.method = row.method;
    req.target = target.empty() ? row.path : target;
    req.idempotent = row.kind == detail::call_kind::read;
    req.authorize = row.key != detail::key_place::none;
    return req;
}

std::string detail::client_impl::body_for(endpoint_id e, json::object body) const {
    if (auto member = detail::body_key_member(detail::row(e)); !member.empty())
        body[member] = opts.api_key;
    return json::serialize(body);
}

asio::awaitable<detail::reply> detail::client_impl::call(endpoint_id e, detail::http_request req, duration timeout,
                                                  bool (*state_code)(const error_code&)) {
    detail::call_settings cs;
    cs.timeout = timeout;
    return call_counted(detail::row(e).name, calls[static_cast<std::size_t>(e)], std::move(req), state_code,
                        std::move(cs));
}

asio::awaitable<detail::reply> detail::client_impl::call(std::string_view name, detail::http_request req,
                                                         detail::call_settings cs) {
    auto it = other_calls.find(name);
    if (it == other_calls.end())
        it = other_calls.emplace(std::string(name), endpoint_stats{}).first;
    return call_counted(it->first, it->second, std::move(req), nullptr, std::move(cs));
}

asio::awaitable<detail::reply> detail::client_impl::call_counted(std::string_view name, endpoint_stats& stats,
                                                          detail::http_request req,
                                                          bool (*state_code)(const error_code&),
                                                          detail::call_settings cs) {
    auto self = shared_from_this();
    auto started = clock::now();
    auto timeout = cs.timeout > duration::zero() ? cs.timeout : opts.timeout.request;
    const auto& policy = cs.retry ? *cs.retry : opts.retry.query;
    if (!cs.header_lines.empty())
        req.headers = cs.header_lines;  // both live in this frame
    auto kind = req.idempotent ? detail::call_kind::read : detail::call_kind::write;
    for (unsigned attempt = 1;; ++attempt) {
        detail::reply r;
        r.diag.endpoint = std::string(name);
        if (req.source && attempt > 1 && (r.ec = req.source->rewind()))
            co_return r;
        if (limiter.enabled() && (r.ec = co_await pace()))
            co_return r;
        r.raw = co_await http.request(base, req, clock::now() + timeout);
        duration retry_after(-1);
        if (r.raw.ec) {
            r.ec = r.raw.ec;
            r.diag.server_message = r.raw.detail;
        } else {
            r.ec = detail::decode_envelope({r.raw.status, r.raw.body, r.raw.retry_after}, r.data, r.diag);
            if (auto ra = detail::parse_retry_after(r.raw.retry_after, std::chrono::system_clock::now()))
                retry_after = *ra;
        }
        bool answered = !r.ec || (state_code && state_code(r.ec));
        count_into(stats, answered ? error_code{} : r.ec);
        if (answered) {
            retry.on_success();
            co_return r;
        }
        auto delay = repeat_after(kind, r.raw.request_written, policy, r.ec, attempt, started, retry_after);
        if (!delay)
            co_return r;
        if (auto ec = co_await sleep(*delay)) {
            r.ec = ec;
            co_return r;
        }
    }
}

detail::http_request detail::client_impl::query_request(std::string_view id, const detail::call_settings* cs) {
    auto req = request_for(endpoint_id::query);
    req.body = detail::encode_query_body(id);
    if (cs)
        req.headers = cs->header_lines;  // the caller keeps *cs until the answer
    ++counters.queries;
    return req;
}

void detail::client_impl::query_answered(std::string_view id, time_point started, detail::http_response& res,
                                         detail::outcome& r) {
    counters.query_latency.record(clock::now() - started);
    if (res.ec) {
        r.ec = res.ec;
        r.t.diag.endpoint = detail::row(endpoint_id::query).name;
        r.t.diag.server_message = res.detail;
        count_call(endpoint_id::query, r.ec);
        return;
    }
    r.ec = detail::decode_task({res.status, res.body, res.retry_after}, r.t, r.t.diag, id);  // about `id` only
    count_call(endpoint_id::query, r.ec);
    if (r.ec) {
        r.t.diag.endpoint = detail::row(endpoint_id::query).name;
        if (auto ra = detail::parse_retry_after(res.retry_after, std::chrono::system_clock::now()))
            r.retry_after = *ra;
        return;
    }
    retry.on_success();
    if (is_terminal(r.t.status))
        tasks.ended(r.t.id, true, clock::now());
}

asio::awaitable<detail::outcome> detail::client_impl::query_once(std::string_view id, time_point deadline,
                                                                  const detail::call_settings* cs) {
    detail::outcome r;
    if (auto ec = limiter.enabled() ? co_await pace() : error_code{}) {
        r.ec = ec;
        co_return r;
    }
    auto req = query_request(id, cs);
    auto started = clock::now();
    auto timeout = cs && cs->timeout > duration::zero() ? cs->timeout : opts.timeout.request;
    auto res = co_await http.request(base, req, std::min(deadline, started + timeout));
    query_answered(id, started, res, r);
    co_return r;
}

// query_once's steps inline, not awaited: one coroutine frame per query() instead of two.
asio::awaitable<detail::outcome> detail::client_impl::do_query(std::string id, detail::call_settings cs) {
    auto self = shared_from_this();
    auto started = clock::now();
    auto timeout = cs.timeout > duration::zero() ? cs.timeout : opts.timeout.request;
    const auto& policy = cs.retry ? *cs.retry : opts.retry.query;
    for (unsigned attempt = 1;; ++attempt) {
        auto deadline = clock::now() + timeout;
        detail::outcome r;
        if (auto ec = limiter.enabled() ? co_await pace() : error_code{}) {
            r.ec = ec;
        } else {
            auto req = query_request(id, &cs);
            auto sent_at = clock::now();
            auto res = co_await http.request(base, req, std::min(deadline, sent_at + timeout));
            query_answered(id, sent_at, res, r);
        }
        auto delay = repeat_after(detail::call_kind::read, r.sent, policy, r.ec, attempt, started, r.retry_after);
        if (!delay)
            co_return r;
        ++counters.query_retries;
        if (auto ec = co_await sleep(*delay))
            co_return detail::outcome{ec, {}, {}};
    }
}

asio::awaitable<detail::outcome> detail::client_impl::do_cancel(std::string id, detail::call_settings cs) {
    auto req = request_for(endpoint_id::cancel);  // idempotent: cancelling twice is harmless
    req.body = body_for(endpoint_id::cancel, json::object{{"taskId", id}});
    auto r = co_await call_counted(detail::row(endpoint_id::cancel).name,
                                   calls[static_cast<std::size_t>(endpoint_id::cancel)], std::move(req), nullptr,
                                   std::move(cs));
    if (!r.ec)
        tasks.ended(id, true, clock::now());  // the account no longer runs it
    detail::outcome o;
    o.ec = r.ec;
    o.t.id = std::move(id);
    o.t.diag = std::move(r.diag);
    co_return o;
}

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {
    impl_->waits.anchor(impl_);
}

client::client(client&&) noexcept = default;
namespace {
// On the client's executor (its strand): the state it ends is touched there
// only, whichever thread lets go of the client.
void shut_down_on_its_executor(std::shared_ptr<detail::client_impl> impl) {
    auto ex = impl->ex;
    asio::dispatch(ex, [impl = std::move(impl)] { impl->shutdown(); });
}
} // namespace

client& client::operator=(client&& o) noexcept {
    if (impl_ && impl_ != o.impl_)
        shut_down_on_its_executor(std::move(impl_));
    impl_ = std::move(o.impl_);
    return *this;
}
client::~client() {
    if (impl_)
        shut_down_on_its_executor(std::move(impl_));
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }
const client_options& client::options() const noexcept { return impl_->opts; }

client_stats client::stats() const {
    client_stats s = impl_->counters;
    s.retries = impl_->retry.stats();  // the decider counts repeats by cause
    s.pool = impl_->http.stats();
    s.waits_pending = impl_->waits.pending();
    s.throttle = impl_->gate.stats();
    s.tasks_in_flight = impl_->tasks.size();
    for (std::size_t i = 0; i < impl_->calls.size(); ++i)
        if (auto& e = impl_->calls[i]; e.ok || e.service_error || e.transport_error)
            s.endpoints[std::string(detail::row(static_cast<endpoint_id>(i)).name)] = e;
    for (auto& [name, e] : impl_->other_calls) {  // call_api may reach a table row's path too: add up
        auto& into = s.endpoints[name];
        into.ok += e.ok;
        into.service_error += e.service_error;
        into.transport_error += e.transport_error;
    }
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
    asio::dispatch(self->ex, [self, url = std::move(url), safety = o.safety_poll_interval,
                              forget = listener.forget_function()]() mutable {
        self->set_callback_url(url);
        self->waits.set_safety_interval(safety);
        self->waits.set_forget(std::move(forget));  // events a query contradicts are forgotten there
    });
    if (impl_->log.enabled(log_level::info))
        impl_->log(log_level::info, "webhook listener attached (port " + std::to_string(listener.port()) + ")");
}

void client::detach() {
    auto self = impl_;
    ++self->webhook_generation;
    asio::dispatch(self->ex, [self] {
        self->set_callback_url({});
        self->waits.set_safety_interval(duration::zero());
    });
}

void client::start_run(std::shared_ptr<impl> self, bool workflow, std::string id, std::vector<node_input> inputs,
                       run_options opts, task_handler h, detail::completion_site site) {
    if (!detail::check_id(self, h, "id", id))
        return;
    std::string why;
    auto cs = detail::run_settings(workflow, inputs, opts, why);
    if (!cs)
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options, std::move(why));
    auto which = workflow ? endpoint_id::run_workflow : endpoint_id::run_ai_app;
    if (opts.webhook_url.empty())
        opts.webhook_url = self->callback_url();  // an attached listener's
    std::string target;  // one allocation: path + id built by operator+ grew it a second time
    target.reserve(detail::row(which).path.size() + id.size());
    target.append(detail::row(which).path).append(id);
    auto op = self->submit(which, std::move(target), detail::encode_run_body(inputs, opts, workflow),
                           std::move(opts.on_submit), std::move(*cs));
    detail::launch(self, std::move(op), std::move(h), std::move(site));
}

void client::start_query(std::shared_ptr<impl> self, std::string id, call_overrides call, task_handler h,
                         detail::completion_site site) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    auto cs = detail::settings_or_fail(self, h, call);
    if (!cs)
        return;
    auto op = self->do_query(std::move(id), std::move(*cs));
    detail::launch(self, std::move(op), std::move(h), std::move(site));
}

void client::start_cancel(std::shared_ptr<impl> self, std::string id, call_overrides call, task_handler h) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    auto cs = detail::settings_or_fail(self, h, call);
    if (!cs)
        return;
    auto op = self->do_cancel(std::move(id), std::move(*cs));
    detail::launch(self, std::move(op), std::move(h));
}

void client::start_wait(std::shared_ptr<impl> self, std::string id, wait_options opts, task_handler h,
                        detail::completion_site site) {
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
    if (opts.call.retry)
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options,
                                     "wait_options::call.retry does not apply: a wait's failed queries count "
                                     "against poll.max_poll_errors");
    auto cs = detail::settings_or_fail(self, h, opts.call);
    if (!cs)
        return;
    // The scheduler's state belongs to the client's executor.
    auto ex = self->ex;
    asio::dispatch(ex, [self = std::move(self), id = std::move(id), opts = std::move(opts), cs = std::move(*cs),
                        h = std::move(h), slot = site.slot]() mutable {
        self->waits.add(std::move(id), std::move(opts), std::move(cs), std::move(h), slot);
    });
}

} // namespace runninghub
