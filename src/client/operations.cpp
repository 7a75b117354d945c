// SPDX-License-Identifier: BSL-1.0
// The operations other than run / query / wait / cancel: each checks its
// arguments and names its endpoint row; the call path does the rest.

#include "client/client_impl.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace asio = boost::asio;
namespace json = boost::json;

namespace runninghub {
namespace {

// Model endpoints are path segments of [0-9A-Za-z._-], such as "kling-v3.0-std/image-to-video".
bool valid_model_endpoint(std::string_view e) {
    if (e.empty() || e.size() > 200 || e.front() == '/' || e.back() == '/')
        return false;
    std::size_t start = 0;
    while (start <= e.size()) {
        auto end = e.find('/', start);
        auto seg = e.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (seg.empty() || seg == "." || seg == "..")
            return false;
        for (char c : seg)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
                return false;
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return true;
}

using detail::endpoint_id;

// A call of row `e` whose data is decoded into T (which carries `diag`).
// `target` (the path plus a query) outlives the call: it is in the frame.
template <class T>
asio::awaitable<std::pair<error_code, T>> typed_call(std::shared_ptr<detail::client_impl> self, endpoint_id e,
                                                     json::object body, error_code (*decode)(const json::value&, T&),
                                                     std::string target = {}) {
    auto req = detail::client_impl::request_for(e, target);
    if (req.method != detail::http_method::get)
        req.body = self->body_for(e, std::move(body));
    auto r = co_await self->call(e, std::move(req));
    T out;
    if (!r.ec && (r.ec = decode(r.data, out)))
        r.diag.server_message = std::string(detail::row(e).name) + ": the data does not have the documented shape";
    out.diag = std::move(r.diag);
    co_return std::pair{r.ec, std::move(out)};
}

} // namespace

void client::start_legacy_run(std::shared_ptr<impl> self, legacy_kind kind, std::string id, std::string quick_code,
                              std::vector<node_input> inputs, run_options opts, task_handler h) {
    if (!detail::check_id(self, h, "id", id))
        return;
    if (kind == legacy_kind::quick && quick_code.empty())
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options, "quick_run needs a quick_create_code");
    std::string why;
    auto cs = detail::run_settings(kind == legacy_kind::create, inputs, opts, why);
    if (!cs)
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options, std::move(why));
    static constexpr endpoint_id rows[] = {endpoint_id::legacy_create, endpoint_id::legacy_ai_app,
                                           endpoint_id::legacy_quick};
    auto which = rows[static_cast<int>(kind)];
    if (opts.webhook_url.empty())
        opts.webhook_url = self->callback_url();
    auto body = detail::encode_legacy_run_body(kind == legacy_kind::create ? "workflowId" : "webappId", id,
                                               quick_code, inputs, opts);
    detail::launch(self,
                   self->submit(which, std::string(detail::row(which).path), self->body_for(which, std::move(body)),
                                std::move(opts.on_submit), std::move(*cs)),
                   std::move(h));
}

void client::start_legacy_query(std::shared_ptr<impl> self, bool outputs, std::string id, task_handler h) {
    if (!detail::check_id(self, h, "task id", id))
        return;
    auto op = [](std::shared_ptr<impl> self, bool outputs, std::string id) -> asio::awaitable<std::pair<error_code, task>> {
        auto which = outputs ? endpoint_id::legacy_outputs : endpoint_id::legacy_status;
        auto pending_or_failed = [](const error_code& ec) {
            return ec == errc::apikey_task_is_running || ec == errc::apikey_task_is_queued ||
                   ec == errc::apikey_task_status_error;
        };
        auto req = detail::client_impl::request_for(which);
        req.body = self->body_for(which, json::object{{"taskId", id}});
        auto r = co_await self->call(which, std::move(req), duration::zero(), outputs ? +pending_or_failed : nullptr);
        task t;
        t.id = id;
        error_code ec = r.ec;
        if (outputs && !r.raw.ec) {
            // 804/813/805 are states of the task here, not failures of the call.
            ec = detail::legacy_outputs_task(r.ec, r.data, id, t, r.diag);
        } else if (!ec) {
            if (auto* s = r.data.if_string()) {
                t.status_text = std::string(*s);
                t.status = parse_task_status(*s);
            } else {
                ec = make_error_code(errc::protocol_error);
                r.diag.server_message = "status: data is not a string";
            }
        }
        if (ec)
            t.diag = std::move(r.diag);
        if (!ec && is_terminal(t.status))
            self->tasks.ended(id, true, clock::now());
        co_return std::pair{ec, std::move(t)};
    };
    detail::launch(self, op(self, outputs, std::move(id)), std::move(h));
}

void client::start_call_model(std::shared_ptr<impl> self, std::string endpoint, json::object params, run_options opts,
                              task_handler h) {
    if (!valid_model_endpoint(endpoint))
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options,
                                     "model endpoint \"" + detail::excerpt(endpoint, 64) +
                                         "\" must be path segments of [0-9A-Za-z._-], e.g. \"rhart-image-v1/text-to-image\"");
    if (opts.retain_seconds || !opts.extra_fields.empty())
        return detail::fail_as<task>(self, std::move(h), errc::invalid_options,
                                     "run_options::retain_seconds and extra_fields are for app and workflow runs: "
                                     "a model call's fields go in its params");
    auto cs = detail::settings_or_fail(self, h, opts.call);
    if (!cs)
        return;
    if (!opts.webhook_url.empty())
        params["webhookUrl"] = opts.webhook_url;
    else if (auto url = self->callback_url(); !url.empty() && !params.contains("webhookUrl"))
        params["webhookUrl"] = std::move(url);
    auto which = endpoint_id::model;
    detail::launch(self,
                   self->submit(which, std::string(detail::row(which).path) + endpoint, json::serialize(params),
                                std::move(opts.on_submit), std::move(*cs)),
                   std::move(h));
}

void client::start_account(std::shared_ptr<impl> self, handler<account_status> h) {
    detail::launch(self, typed_call(self, endpoint_id::account, {}, &detail::decode_account), std::move(h));
}

void client::start_queue_status(std::shared_ptr<impl> self, handler<runninghub::queue_status> h) {
    detail::launch(self, typed_call(self, endpoint_id::queue_status, {}, &detail::decode_queue_status), std::move(h));
}

void client::start_webhook_detail(std::shared_ptr<impl> self, std::string task_id, handler<webhook_record> h) {
    if (!detail::check_id(self, h, "task id", task_id))
        return;
    detail::launch(self,
                   typed_call(self, endpoint_id::webhook_detail, json::object{{"taskId", task_id}},
                              &detail::decode_webhook_record),
                   std::move(h));
}

void client::start_retry_webhook(std::shared_ptr<impl> self, std::string webhook_id, std::string url,
                                 handler<acknowledgement> h) {
    if (!detail::check_id(self, h, "webhook id", webhook_id))
        return;
    detail::origin o;
    std::string target, why;
    if (detail::parse_url(url, o, target, &why))
        return detail::fail_as<acknowledgement>(self, std::move(h), errc::invalid_options, "webhook " + why);
    auto op = [](std::shared_ptr<impl> self, std::string id,
                 std::string url) -> asio::awaitable<std::pair<error_code, acknowledgement>> {
        auto which = endpoint_id::retry_webhook;
        auto req = detail::client_impl::request_for(which);
        req.body = self->body_for(which, json::object{{"webhookId", id}, {"webhookUrl", url}});
        auto r = co_await self->call(which, std::move(req));
        co_return std::pair{r.ec, acknowledgement{std::move(r.diag)}};
    };
    detail::launch(self, op(self, std::move(webhook_id), std::move(url)), std::move(h));
}

void client::start_app_details(std::shared_ptr<impl> self, std::string app_id, handler<app_info> h) {
    if (!detail::check_id(self, h, "app id", app_id))
        return;
    // The key travels in the query here, as the reference shows (key_place::query_apiKey).
    auto which = endpoint_id::app_details;
    std::string target = std::string(detail::row(which).path) + "?apiKey=" + detail::query_escape(self->opts.api_key) +
                         "&webappId=" + app_id;
    detail::launch(self, typed_call(self, which, {}, &detail::decode_app_info, std::move(target)), std::move(h));
}

void client::start_workflow_json(std::shared_ptr<impl> self, std::string workflow_id, handler<workflow_definition> h) {
    if (!detail::check_id(self, h, "workflow id", workflow_id))
        return;
    detail::launch(self,
                   typed_call(self, endpoint_id::workflow_json, json::object{{"workflowId", workflow_id}},
                              &detail::decode_workflow),
                   std::move(h));
}

void client::start_call_api(std::shared_ptr<impl> self, api_request req, handler<api_result> h) {
    auto& p = req.path;
    bool ok = p.size() > 1 && p.size() <= 512 && p.front() == '/' && p.find("..") == std::string::npos &&
              std::all_of(p.begin(), p.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '#'; });
    if (!ok)
        return detail::fail_as<api_result>(self, std::move(h), errc::invalid_options,
                                           "api_request::path \"" + detail::excerpt(p, 64) +
                                               "\" must be an absolute path of printable characters, without \"..\"");
    bool get = req.method == api_method::get;
    if (get && (req.key_in_body || !req.body.empty()))
        return detail::fail_as<api_result>(self, std::move(h), errc::invalid_options, "a GET api_request has no body");
    auto cs = detail::settings_or_fail(self, h, req.call);
    if (!cs)
        return;
    auto op = [](std::shared_ptr<impl> self, api_request req,
                 detail::call_settings cs) -> asio::awaitable<std::pair<error_code, api_result>> {
        if (req.key_in_body)
            req.body["apiKey"] = self->opts.api_key;
        detail::http_request r;
        bool get = req.method == api_method::get;
        r.method = get ? detail::http_method::get : detail::http_method::post;
        r.target = req.path;
        if (!get)
            r.body = json::serialize(req.body);
        r.idempotent = req.idempotent;
        std::string name = (get ? "GET " : "POST ") + req.path.substr(0, req.path.find('?'));
        auto reply = co_await self->call(name, std::move(r), std::move(cs));
        co_return std::pair{reply.ec, api_result{std::move(reply.data), std::move(reply.diag)}};
    };
    detail::launch(self, op(self, std::move(req), std::move(*cs)), std::move(h));
}

} // namespace runninghub
