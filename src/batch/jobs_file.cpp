// SPDX-License-Identifier: BSL-1.0
// Jobs files: JSON Lines into batch_jobs, every line checked before anything is submitted.
#include <runninghub/batch_files.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace json = boost::json;

namespace runninghub {
namespace {

/// A bad line, said once: wrapped into runninghub::error by the public functions.
struct line_problem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(std::size_t line, const std::string& why) {
    throw line_problem("line " + std::to_string(line) + ": " + why);
}

/// An id: a string, or an integer kept as its digits (never through a double).
std::optional<std::string> id_text(const json::value& v) {
    if (v.is_string() && !v.get_string().empty())
        return std::string(v.get_string());
    if (v.is_int64())
        return std::to_string(v.get_int64());
    if (v.is_uint64())
        return std::to_string(v.get_uint64());
    return std::nullopt;
}

std::string id_of(const json::object& o, std::string_view key, std::size_t line) {
    auto id = id_text(o.at(key));
    if (!id)
        bad(line, "\"" + std::string(key) + "\" must be a non-empty string or an integer");
    return *id;
}

std::vector<node_input> node_inputs(const json::value& v, std::size_t line) {
    if (!v.is_array())
        bad(line, "\"nodeInfoList\" must be an array");
    std::vector<node_input> in;
    for (std::size_t k = 0; k < v.get_array().size(); ++k) {
        auto where = "nodeInfoList[" + std::to_string(k) + "]";
        auto* item = v.get_array()[k].if_object();
        if (!item)
            bad(line, where + " must be an object");
        auto* node = item->if_contains("nodeId");
        auto* field = item->if_contains("fieldName");
        auto* value = item->if_contains("fieldValue");
        auto node_id = node ? id_text(*node) : std::nullopt;
        if (!node_id)
            bad(line, where + " needs \"nodeId\" (a string)");
        if (!field || !field->is_string() || field->get_string().empty())
            bad(line, where + " needs \"fieldName\" (a string)");
        if (!value)
            bad(line, where + " needs \"fieldValue\"");
        in.emplace_back(*node_id, std::string(field->get_string()), *value);
    }
    return in;
}

/// "NODE:FIELD" -> path for apps and workflows; "FIELD" -> path (a body field) for models.
std::vector<file_input> file_inputs(const json::value& v, bool model, std::size_t line) {
    if (!v.is_object())
        bad(line, "\"files\" must be an object of \"NODE:FIELD\": \"path\"");
    std::vector<file_input> files;
    for (auto& [key, path] : v.get_object()) {
        std::string k(key);
        if (!path.is_string() || path.get_string().empty())
            bad(line, "files \"" + k + "\" must be a path (a string)");
        auto colon = k.find(':');
        if (model && colon == std::string::npos && !k.empty())
            files.emplace_back("", k, std::string(path.get_string()));
        else if (!model && colon != std::string::npos && colon > 0 && colon + 1 < k.size())
            files.emplace_back(k.substr(0, colon), k.substr(colon + 1), std::string(path.get_string()));
        else
            bad(line, "files key \"" + k + "\" must be " + (model ? "a body field name" : "NODE:FIELD"));
    }
    return files;
}

batch_target target_of(const json::object& o, const job_defaults& d, std::size_t line) {
    int named = o.contains("app") + o.contains("workflow") + o.contains("model");
    if (named > 1)
        bad(line, "give one of \"app\", \"workflow\" and \"model\", not several");
    if (o.contains("app"))
        return ai_app(id_of(o, "app", line));
    if (o.contains("workflow"))
        return workflow(id_of(o, "workflow", line));
    if (auto* m = o.if_contains("model")) {
        if (!m->is_string() || m->get_string().empty())
            bad(line, "\"model\" must be an endpoint such as \"vendor/endpoint\"");
        return standard_model(std::string(m->get_string()));
    }
    if (!d.app.empty())
        return ai_app(d.app);
    if (!d.workflow.empty())
        return workflow(d.workflow);
    bad(line, "no target: give \"app\", \"workflow\" or \"model\" (or --app / --workflow)");
}

run_options run_options_of(const json::object& o, std::size_t line) {
    run_options ro;
    if (auto* it = o.if_contains("instanceType")) {
        if (!it->is_string())
            bad(line, "\"instanceType\" must be a string");
        ro.instance_type = it->get_string();
    }
    if (auto* pq = o.if_contains("usePersonalQueue")) {
        if (!pq->is_bool())
            bad(line, "\"usePersonalQueue\" must be true or false");
        ro.use_personal_queue = pq->get_bool();
    }
    return ro;
}

constexpr std::string_view known_keys[] = {"id",   "app",   "workflow",     "model",           "body",
                                           "nodeInfoList", "files", "instanceType", "usePersonalQueue"};

batch_job parse_line(std::string_view line, std::size_t n, const job_defaults& defaults) {
    error_code ec;
    auto v = json::parse(line, ec);
    if (ec)
        bad(n, "not JSON (" + ec.message() + ")");
    auto* o = v.if_object();
    if (!o)
        bad(n, "a job must be a JSON object");
    for (auto& kv : *o)
        if (std::find(std::begin(known_keys), std::end(known_keys), kv.key()) == std::end(known_keys))
            bad(n, "unknown key \"" + std::string(kv.key()) + "\"");
    auto target = target_of(*o, defaults, n);
    bool model = std::holds_alternative<standard_model>(target);
    batch_job job(std::move(target), {}, run_options_of(*o, n));
    job.id = o->contains("id") ? id_of(*o, "id", n) : std::to_string(n);
    if (auto* list = o->if_contains("nodeInfoList")) {
        if (model)
            bad(n, "a model job takes \"body\", not \"nodeInfoList\"");
        job.inputs = node_inputs(*list, n);
    }
    if (auto* body = o->if_contains("body")) {
        if (!model)
            bad(n, "\"body\" is for \"model\" jobs; apps and workflows take \"nodeInfoList\"");
        if (!body->is_object())
            bad(n, "\"body\" must be a JSON object");
        job.body = body->get_object();
    } else if (model) {
        bad(n, "a \"model\" job needs \"body\" (a JSON object)");
    }
    if (auto* files = o->if_contains("files"))
        job.files = file_inputs(*files, model, n);
    return job;
}

} // namespace

batch_job parse_job_line(std::string_view line, std::size_t n, const job_defaults& defaults) {
    try {
        return parse_line(line, n, defaults);
    } catch (const line_problem& p) {
        throw error(make_error_code(errc::invalid_options), p.what());
    }
}

jobs_file read_jobs_file(const std::filesystem::path& file, const job_defaults& defaults) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw error(make_error_code(errc::file_error), "cannot read the jobs file " + file.string());
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto text = bytes.str();
    jobs_file out;
    // FNV-1a over the bytes and the defaults: the same file and flags are the same batch.
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : text + '\0' + defaults.app + '\0' + defaults.workflow)
        h = (h ^ ch) * 1099511628211ull;
    out.fingerprint = h;
    auto base = file.parent_path();
    std::map<std::string, std::size_t> ids;  // id -> line
    std::istringstream lines(text);
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line);) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        try {
            auto job = parse_line(line, n, defaults);
            if (auto [it, fresh] = ids.emplace(job.id, n); !fresh)
                bad(n, "id \"" + job.id + "\" is also the id of line " + std::to_string(it->second));
            for (auto& f : job.files) {
                if (f.path.is_relative())
                    f.path = base / f.path;
                std::ifstream probe(f.path, std::ios::binary);
                if (!probe)
                    bad(n, "cannot read " + f.path.string());
            }
            out.jobs.push_back(std::move(job));
        } catch (const line_problem& p) {
            throw error(make_error_code(errc::invalid_options), file.string() + " " + p.what());
        }
    }
    if (out.jobs.empty())
        throw error(make_error_code(errc::invalid_options), file.string() + ": no jobs");
    return out;
}

} // namespace runninghub
