// SPDX-License-Identifier: BSL-1.0
// The v2 API: Bearer key, JSON bodies, flat task answers.
#include "fields.hpp"
#include "routes.hpp"

#include <cstdlib>

namespace runninghub::emu {
namespace {

bool queue_status(call& c) {
    if (!c.st.opts.queue_status_supported)
        return not_found(c.res);
    if (!c.st.bearer_key(c.req[http::field::authorization], c.key))
        return legacy_error(c.res, 1002, "Invalid API Key");
    auto running = c.st.active_tasks(c.key, c.now);
    auto limit = c.st.opts.concurrency_limit ? c.st.opts.concurrency_limit : 50;
    return ok_answer(c.res, json::object{{"apiKeyType", "SHARED"},
                                         {"concurrentLimit", limit},
                                         {"runningCount", running},
                                         {"queuedCount", 0},
                                         {"totalCurrentTasks", running}});
}

bool api_key_list(call& c) {
    if (!c.st.bearer_key(c.req[http::field::authorization], c.key))
        return legacy_error(c.res, 1002, "Invalid API Key");
    return ok_answer(c.res, json::array{json::object{{"key", masked(c.key)},
                                                     {"apiKeyName", "emulator"},
                                                     {"status", "ENABLED"},
                                                     {"quotaLimit", nullptr},
                                                     {"quotaUsed", std::to_string(c.st.stats.tasks_created)}}});
}

// POST /openapi/v2/run/ai-app/<id> and /run/workflow/<id>: checks as the service does, then a task.
bool run(call& c, bool app) {
    std::string id(c.rest.substr(c.rest.rfind('/') + 1));
    if (!listed(app ? c.st.opts.ai_apps : c.st.opts.workflows, id) && app && c.st.opts.v2_unknown_app_as_code_1)
        return legacy_error(c.res, 1, "webapp not exists");
    if (!listed(app ? c.st.opts.ai_apps : c.st.opts.workflows, id))
        return app ? legacy_error(c.res, 901, "WEBAPP_NOT_EXISTS") : legacy_error(c.res, 380, "WORKFLOW_NOT_EXISTS");
    auto* list = c.body->if_contains("nodeInfoList");
    if (!list || !list->is_array() || list->get_array().empty())
        return flat_error(c.res, "1101", "Node info error");
    for (auto& item : list->get_array()) {
        auto* io = item.if_object();
        if (!io || !io->contains("nodeId") || !io->contains("fieldName") || !io->contains("fieldValue"))
            return flat_error(c.res, "1101", "Node info error: nodeId, fieldName and fieldValue are required");
    }
    if (c.st.over_limit(c.key, c.now))
        return over_limit_answer(c);
    auto task_id = c.st.create_task(c.key, id, webhook_url_of(*c.body), c.now);
    c.created(task_id);
    json_answer(c.res, c.st.accepted_json(task_id, c.now));
    return true;
}

bool run_app(call& c) { return run(c, true); }
bool run_workflow(call& c) { return run(c, false); }

bool query(call& c) {
    auto* id = c.body->if_contains("taskId");
    if (!id || !id->is_string())
        return flat_error(c.res, "1007", "Invalid parameters: taskId");
    auto* t = c.st.find_task(std::string(id->get_string()), c.key);
    if (!t)
        return flat_error(c.res, "1004", "Task not found or expired");
    return json_answer(c.res, c.st.task_json(std::string(id->get_string()), *t, c.now));
}

bool aiapp_list(call& c) {
    auto& apps = c.st.opts.ai_apps;
    auto size = c.body->contains("size") ? text_of(c.body->if_contains("size")) : "10";
    auto current = c.body->contains("current") ? text_of(c.body->if_contains("current")) : "1";
    int n = std::atoi(size.c_str()), page = std::atoi(current.c_str());
    if (n < 1 || n > 50 || page < 1)
        return legacy_error(c.res, 1007, "Invalid parameters: size is 1..50, current from 1");
    json::array records;
    for (auto i = static_cast<std::size_t>((page - 1) * n); i < apps.size() && records.size() < static_cast<std::size_t>(n); ++i)
        records.push_back(json::object{{"title", "Emulated app " + apps[i]},
                                       {"description", "an app of the emulator"},
                                       {"cover", c.st.files_base() + "/files/cover.png"},
                                       {"invokeExample", "POST /openapi/v2/run/ai-app/" + apps[i]}});
    auto total = apps.size();
    auto pages = (total + n - 1) / n;
    return ok_answer(c.res, json::object{{"records", std::move(records)}, {"current", page}, {"size", n},
                                         {"total", total}, {"pages", pages},
                                         {"hasNext", static_cast<std::size_t>(page) < pages}});
}

constexpr route v2_rows[] = {
    {http::verb::get, "/openapi/v2/queue/status", match::exact, family::open, queue_status},
    {http::verb::get, "/openapi/v2/api-key/list", match::exact, family::open, api_key_list},
    {http::verb::post, "/openapi/v2/run/ai-app/", match::prefix, family::v2, run_app},
    {http::verb::post, "/openapi/v2/run/workflow/", match::prefix, family::v2, run_workflow},
    {http::verb::post, "/openapi/v2/query", match::exact, family::v2, query},
    {http::verb::post, "/openapi/v2/aiapp/list", match::exact, family::v2, aiapp_list},
};

} // namespace

std::span<const route> v2_routes() { return v2_rows; }

} // namespace runninghub::emu
