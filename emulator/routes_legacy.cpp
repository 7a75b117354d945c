// SPDX-License-Identifier: BSL-1.0
// The legacy API: the key in the JSON body, the {code, msg, data} envelope;
// and the app metadata pages (apiCallDemo, model params).
#include "fields.hpp"
#include "routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace runninghub::emu {
namespace {

// The nodes of every emulated app and workflow (apiCallDemo, getJsonApiFormat, legacy create checks).
json::array app_nodes() {
    return {json::object{{"nodeId", "6"}, {"nodeName", "CLIPTextEncode"}, {"fieldName", "text"},
                         {"fieldValue", "a cat in a spacesuit"}, {"fieldType", "STRING"},
                         {"description", "提示词"}, {"descriptionEn", "prompt"}},
            json::object{{"nodeId", "3"}, {"nodeName", "KSampler"}, {"fieldName", "seed"},
                         {"fieldValue", "42"}, {"fieldType", "INT"},
                         {"description", "种子"}, {"descriptionEn", "seed"}},
            json::object{{"nodeId", "10"}, {"nodeName", "LoadImage"}, {"fieldName", "image"},
                         {"fieldValue", "example.png"}, {"fieldType", "IMAGE"},
                         {"description", "图片"}, {"descriptionEn", "image"}},
            json::object{{"nodeId", "12"}, {"nodeName", "RH_Ratio"}, {"fieldName", "aspect_ratio"},
                         {"fieldValue", "16:9 (Widescreen)"}, {"fieldType", "LIST"},
                         {"fieldData", R"j([{"name":"16:9 (Widescreen)"},{"name":"1:1 (Square)"}])j"},
                         {"description", "比例"}, {"descriptionEn", "aspect ratio"}}};
}

bool known_node(std::string_view node_id) {
    return node_id == "3" || node_id == "6" || node_id == "9" || node_id == "10" || node_id == "12";
}

// The items of a nodeInfoList (an array): false when one is malformed; unknown nodes go to `errors`.
bool check_nodes(const json::value* list, json::object& errors) {
    if (!list)
        return true;
    for (auto& item : list->get_array()) {
        auto* io = item.if_object();
        if (!io || !io->contains("nodeId") || !io->contains("fieldName") || !io->contains("fieldValue"))
            return false;
        auto node = text_of(io->if_contains("nodeId"));
        if (!known_node(node))
            errors[node] = json::object{
                {"errors", json::array{json::object{{"type", "node_not_found"},
                                                    {"message", "Node " + node + " is not in the workflow"}}}}};
    }
    return true;
}

enum class submit_kind { workflow, app, quick_app };

// /task/openapi/create, /ai-app/run, /quick-ai-app/run. A workflow whose nodes do
// not validate still creates a task: FAILED, the node errors in promptTips.
bool submit(call& c, submit_kind kind) {
    bool create = kind == submit_kind::workflow;
    auto& o = *c.body;
    std::string id = text_of(o.if_contains(create ? "workflowId" : "webappId"));
    if (!listed(create ? c.st.opts.workflows : c.st.opts.ai_apps, id))
        return create ? legacy_error(c.res, 380, "WORKFLOW_NOT_EXISTS") : legacy_error(c.res, 901, "WEBAPP_NOT_EXISTS");
    if (kind == submit_kind::quick_app && text_of(o.if_contains("quickCreateCode")).empty())
        return legacy_error(c.res, 301, "PARAMS_INVALID");
    auto* list = o.if_contains("nodeInfoList");
    json::object node_errors;
    if ((!list && !create) || (list && !list->is_array()) || (!create && list->get_array().empty()) ||
        !check_nodes(list, node_errors))
        return legacy_error(c.res, 803, "APIKEY_INVALID_NODE_INFO");
    if (auto* w = o.if_contains("workflow"); w && w->is_string()) {
        error_code ec;
        json::parse(w->get_string(), ec);
        if (ec)
            return legacy_error(c.res, 433, "VALIDATE_PROMPT_FAILED: workflow is not valid JSON");
    }
    if (c.st.over_limit(c.key, c.now))
        return over_limit_answer(c);
    json::object tips{{"result", node_errors.empty()}, {"error", nullptr},
                      {"outputs_to_execute", json::array{"9"}}, {"node_errors", node_errors}};
    std::string task_id, status = "FAILED";
    if (node_errors.empty()) {
        task_id = c.st.create_task(c.key, id, webhook_url_of(o), c.now);
        c.created(task_id);
        status = c.st.status_at(c.st.tasks.at(task_id), c.now) == task_status::queued ? "QUEUED" : "RUNNING";
    } else {
        task_id = c.st.create_failed_task(c.key, c.now);
    }
    ok_answer(c.res, json::object{{"netWssUrl", nullptr}, {"taskId", task_id}, {"clientId", "emulator"},
                                  {"taskStatus", status}, {"promptTips", json::serialize(tips)}});
    return true;
}

bool create_workflow(call& c) { return submit(c, submit_kind::workflow); }
bool run_legacy_app(call& c) { return submit(c, submit_kind::app); }
bool run_quick_app(call& c) { return submit(c, submit_kind::quick_app); }

emu_task* task_of(call& c) { return c.st.find_task(text_of(c.body->if_contains("taskId")), c.key); }

bool status(call& c) {
    auto* t = task_of(c);
    if (!t)
        return legacy_error(c.res, 807, "APIKEY_TASK_NOT_FOUND");
    auto st = c.st.status_at(*t, c.now);
    return ok_answer(c.res, json::string(st == task_status::cancel ? "FAILED" : status_text(st)));
}

// Outputs answer 804 while running and for outputs_lag after SUCCESS.
bool outputs(call& c) {
    auto* t = task_of(c);
    if (!t)
        return legacy_error(c.res, 807, "APIKEY_TASK_NOT_FOUND");
    auto st = c.st.status_at(*t, c.now);
    if (st == task_status::queued)
        return legacy_error(c.res, 813, "APIKEY_TASK_IS_QUEUED");
    if (st == task_status::running || (st == task_status::success && c.now < c.st.end_of(*t) + c.st.opts.outputs_lag))
        return json_answer(c.res, json::object{{"code", 804}, {"msg", "APIKEY_TASK_IS_RUNNING"},
                                               {"data", json::object{{"netWssUrl", nullptr}}}});
    if (st != task_status::success)
        return json_answer(c.res, json::object{{"code", 805}, {"msg", "APIKEY_TASK_STATUS_ERROR"},
                                               {"data", json::object{{"failedReason", state::failed_reason()}}}});
    json::array list;
    for (auto& r : c.st.results_json(text_of(c.body->if_contains("taskId")), *t)) {
        auto& ro = r.as_object();
        json::object item{{"fileUrl", ro.at("url")}, {"fileType", ro.at("outputType")}, {"taskCostTime", "1"},
                          {"nodeId", ro.at("nodeId")}, {"thirdPartyConsumeMoney", nullptr},
                          {"consumeMoney", nullptr}, {"consumeCoins", "10"}};
        if (!ro.at("text").is_null())
            item["text"] = ro.at("text");
        list.push_back(std::move(item));
    }
    return ok_answer(c.res, std::move(list));
}

bool cancel(call& c) {
    auto* t = task_of(c);
    if (!t)
        return legacy_error(c.res, 807, "APIKEY_TASK_NOT_FOUND");
    if (!is_terminal(c.st.status_at(*t, c.now)))
        c.st.cancel(*t);
    return ok_answer(c.res, nullptr);
}

bool account_status(call& c) {
    long long coins = std::stoll(c.st.opts.remain_coins) - 10 * static_cast<long long>(c.st.stats.tasks_created);
    return ok_answer(c.res, json::object{{"remainCoins", std::to_string(coins)},
                                         {"currentTaskCounts", std::to_string(c.st.active_tasks(c.key, c.now))},
                                         {"remainMoney", nullptr},
                                         {"currency", nullptr},
                                         {"apiType", "NORMAL"}});
}

bool webhook_detail(call& c) {
    auto* t = task_of(c);
    if (!t || t->webhook_id.empty())
        return legacy_error(c.res, 807, "APIKEY_TASK_NOT_FOUND");
    auto id = text_of(c.body->if_contains("taskId"));
    return ok_answer(c.res, json::object{{"id", t->webhook_id},
                                         {"userApiKey", masked(c.key)},
                                         {"taskId", id},
                                         {"webhookUrl", t->webhook_url},
                                         {"eventData", webhook_body(c.st, id, c.now)},
                                         {"callbackStatus", t->callback_status},
                                         {"callbackResponse", t->callback_response},
                                         {"retryCount", t->retry_count},
                                         {"createTime", t->webhook_created},
                                         {"updateTime", t->webhook_updated}});
}

bool retry_webhook(call& c) {
    auto hook = text_of(c.body->if_contains("webhookId"));
    auto url = text_of(c.body->if_contains("webhookUrl"));
    auto it = std::find_if(c.st.tasks.begin(), c.st.tasks.end(),
                           [&](auto& kv) { return kv.second.key == c.key && kv.second.webhook_id == hook; });
    if (it == c.st.tasks.end() || hook.empty())
        return legacy_error(c.res, 301, "PARAMS_INVALID: webhook not found");
    if (!url.empty())
        it->second.webhook_url = url;
    ++c.st.stats.webhook_retries_requested;
    c.hooks.schedule(it->first, it->second.webhook_url, c.now);
    return ok_answer(c.res, nullptr, "");
}

bool lora_upload_url(call& c) {
    auto md5 = text_of(c.body->if_contains("md5Hex"));
    auto name = text_of(c.body->if_contains("loraName"));
    auto hex = [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; };
    if (md5.size() != 32 || name.empty() || !std::all_of(md5.begin(), md5.end(), hex))
        return legacy_error(c.res, 301, "PARAMS_INVALID");
    return ok_answer(c.res, json::object{{"fileName", "api-lora-cn/" + md5 + ".safetensors"},
                                         {"url", c.st.base + "/cos/lora/" + md5 + ".safetensors?sign=emulated"}});
}

bool json_api_format(call& c) {
    if (!listed(c.st.opts.workflows, text_of(c.body->if_contains("workflowId"))))
        return legacy_error(c.res, 380, "WORKFLOW_NOT_EXISTS");
    json::object prompt{
        {"3", json::object{{"class_type", "KSampler"}, {"inputs", json::object{{"seed", 42}, {"steps", 20}}}}},
        {"6", json::object{{"class_type", "CLIPTextEncode"}, {"inputs", json::object{{"text", "a cat"}}}}},
        {"9", json::object{{"class_type", "SaveImage"}, {"inputs", json::object{{"filename_prefix", "ComfyUI"}}}}}};
    return ok_answer(c.res, json::object{{"prompt", json::serialize(prompt)}}, "SUCCESS");
}

// GET /api/webapp/apiCallDemo?apiKey=…&webappId=…: the key in the query.
bool api_call_demo(call& c) {
    std::string key, app;
    if (auto u = boost::urls::parse_origin_form(c.req.target()))
        for (auto p : u->params()) {
            if (p.key == "apiKey")
                key = p.value;
            else if (p.key == "webappId")
                app = p.value;
        }
    if (!c.st.known_key(key))
        return legacy_error(c.res, 802, "APIKEY_UNAUTHORIZED");
    if (!listed(c.st.opts.ai_apps, app))
        return legacy_error(c.res, 901, "WEBAPP_NOT_EXISTS");
    return ok_answer(c.res, json::object{{"curl", "curl -X POST " + c.st.base + "/task/openapi/ai-app/run ..."},
                                         {"webappName", "Emulated app " + app},
                                         {"statisticsInfo", json::object{{"useCount", 7}}},
                                         {"nodeInfoList", app_nodes()},
                                         {"covers", json::array{}},
                                         {"tags", json::array{"emulator"}}});
}

// The key in the body or as a Bearer header; a body that is not JSON reads as empty.
bool model_params(call& c) {
    error_code ec;
    auto v = json::parse(c.req.body(), ec);
    auto* o = ec ? nullptr : v.if_object();
    std::string key;
    if (o && o->contains("apiKey"))
        key = text_of(o->if_contains("apiKey"));
    if (!c.st.known_key(key) && !c.st.bearer_key(c.req[http::field::authorization], key))
        return legacy_error(c.res, 802, "APIKEY_UNAUTHORIZED");
    if (!listed(c.st.opts.ai_apps, o ? text_of(o->if_contains("webappId")) : std::string()))
        return legacy_error(c.res, 901, "WEBAPP_NOT_EXISTS");
    return ok_answer(c.res, json::array{json::object{{"id", "1"}, {"name", "Cinematic"}},
                                        json::object{{"id", "2"}, {"name", "Anime"}}});
}

bool no_legacy_route(call& c) { return not_found(c.res); }

constexpr route legacy_rows[] = {
    {http::verb::get, "/api/webapp/apiCallDemo", match::prefix, family::open, api_call_demo},
    {http::verb::post, "/api/fast/creation/model/params", match::exact, family::open, model_params},
    {http::verb::post, "/task/openapi/create", match::exact, family::legacy, create_workflow},
    {http::verb::post, "/task/openapi/ai-app/run", match::exact, family::legacy, run_legacy_app},
    {http::verb::post, "/task/openapi/quick-ai-app/run", match::exact, family::legacy, run_quick_app},
    {http::verb::post, "/task/openapi/status", match::exact, family::legacy, status},
    {http::verb::post, "/task/openapi/outputs", match::exact, family::legacy, outputs},
    {http::verb::post, "/task/openapi/cancel", match::exact, family::legacy, cancel},
    {http::verb::post, "/uc/openapi/accountStatus", match::exact, family::legacy, account_status, "apikey"},
    {http::verb::post, "/task/openapi/getWebhookDetail", match::exact, family::legacy, webhook_detail},
    {http::verb::post, "/task/openapi/retryWebhook", match::exact, family::legacy, retry_webhook},
    {http::verb::post, "/api/openapi/getLoraUploadUrl", match::exact, family::legacy, lora_upload_url},
    {http::verb::post, "/api/openapi/getJsonApiFormat", match::exact, family::legacy, json_api_format},
    // Any other legacy path: the key is checked, then 404.
    {http::verb::post, "/task/openapi/", match::prefix, family::legacy, no_legacy_route},
    {http::verb::post, "/uc/openapi/", match::prefix, family::legacy, no_legacy_route},
    {http::verb::post, "/api/openapi/", match::prefix, family::legacy, no_legacy_route},
};

} // namespace

std::span<const route> legacy_routes() { return legacy_rows; }

} // namespace runninghub::emu
