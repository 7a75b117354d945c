// SPDX-License-Identifier: BSL-1.0
// Jobs files and results files: parsing (bad lines, missing fields, wrong types), lines written and read back.
#include <runninghub/batch_files.hpp>
#include "../temp_dir.hpp"

#include "../print.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace rh = runninghub;
namespace fs = std::filesystem;

namespace {

/// The message of the error a bad line raises (empty: it parsed).
std::string problem(std::string_view line, const rh::job_defaults& d = {}) {
    try {
        rh::parse_job_line(line, 7, d);
    } catch (const rh::error& e) {
        BOOST_TEST(e.code() == rh::errc::invalid_options);
        return e.what();
    }
    return {};
}

bool says(const std::string& msg, const std::string& what) {
    BOOST_TEST_INFO(msg);
    return msg.find("line 7: ") != std::string::npos && msg.find(what) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch_files)

BOOST_AUTO_TEST_CASE(a_full_app_line) {
    auto job = rh::parse_job_line(
        R"({"id":"cat-1","app":"1877265245566922753","nodeInfoList":[{"nodeId":"9","fieldName":"text","fieldValue":"a cat"},)"
        R"({"nodeId":3,"fieldName":"seed","fieldValue":42}],"files":{"10:image":"in/cat.png"},"instanceType":"plus"})",
        1);
    BOOST_TEST(job.id == "cat-1");
    BOOST_TEST(std::get<rh::ai_app>(job.target).id == "1877265245566922753");
    BOOST_REQUIRE(job.inputs.size() == 2u);
    BOOST_TEST(job.inputs[1].node_id == "3");
    BOOST_TEST(job.inputs[1].field_value.as_int64() == 42);  // JSON types kept
    BOOST_REQUIRE(job.files.size() == 1u);
    BOOST_TEST(job.files[0].node_id == "10");
    BOOST_TEST(job.files[0].field == "image");
    BOOST_TEST(job.options.instance_type == "plus");
}

BOOST_AUTO_TEST_CASE(workflows_models_defaults_and_ids) {
    auto wf = rh::parse_job_line(R"({"workflow":1904136902449209346})", 3);
    BOOST_TEST(std::get<rh::workflow>(wf.target).id == "1904136902449209346");  // an integer id, exactly
    BOOST_TEST(wf.id == "3");                                                      // the line number
    auto m = rh::parse_job_line(R"({"model":"rhart-image-v1/text-to-image","body":{"prompt":"x","seed":1},)"
                                R"("files":{"imageUrl":"a.png"}})", 4);
    BOOST_TEST(std::get<rh::standard_model>(m.target).endpoint == "rhart-image-v1/text-to-image");
    BOOST_TEST(m.body.at("seed").as_int64() == 1);
    BOOST_TEST(m.files.at(0).node_id.empty());
    BOOST_TEST(m.files.at(0).field == "imageUrl");
    auto d = rh::parse_job_line(R"({"nodeInfoList":[]})", 5, {"", "1904136902449209346"});
    BOOST_TEST(std::get<rh::workflow>(d.target).id == "1904136902449209346");
    auto own = rh::parse_job_line(R"({"app":"5","id":12})", 6, {"1877265245566922753", ""});
    BOOST_TEST(std::get<rh::ai_app>(own.target).id == "5");  // the line's own target wins
    BOOST_TEST(own.id == "12");
}

BOOST_AUTO_TEST_CASE(bad_lines_say_what_is_wrong) {
    BOOST_TEST(says(problem("{not json"), "not JSON"));
    BOOST_TEST(says(problem("[1,2]"), "must be a JSON object"));
    BOOST_TEST(says(problem(R"({"nodeInfoList":[]})"), "no target"));
    BOOST_TEST(says(problem(R"({"app":"1","workflow":"2"})"), "not several"));
    BOOST_TEST(says(problem(R"({"app":1.5})"), "\"app\" must be"));
    BOOST_TEST(says(problem(R"({"app":"1","nodeInfoList":{"x":1}})"), "\"nodeInfoList\" must be an array"));
    BOOST_TEST(says(problem(R"({"app":"1","nodeInfoList":[{"fieldName":"t","fieldValue":1}]})"), "needs \"nodeId\""));
    BOOST_TEST(says(problem(R"({"app":"1","nodeInfoList":[{"nodeId":"9","fieldValue":1}]})"), "needs \"fieldName\""));
    BOOST_TEST(says(problem(R"({"app":"1","nodeInfoList":[{"nodeId":"9","fieldName":"t"}]})"), "needs \"fieldValue\""));
    BOOST_TEST(says(problem(R"({"app":"1","nodeInfoList":[3]})"), "nodeInfoList[0] must be an object"));
    BOOST_TEST(says(problem(R"({"app":"1","files":{"image":"a.png"}})"), "NODE:FIELD"));
    BOOST_TEST(says(problem(R"({"app":"1","files":{"10:image":5}})"), "must be a path"));
    BOOST_TEST(says(problem(R"({"app":"1","files":["a.png"]})"), "\"files\" must be an object"));
    BOOST_TEST(says(problem(R"({"model":"m/x"})"), "needs \"body\""));
    BOOST_TEST(says(problem(R"({"model":"m/x","body":[1]})"), "\"body\" must be a JSON object"));
    BOOST_TEST(says(problem(R"({"app":"1","body":{}})"), "\"body\" is for \"model\" jobs"));
    BOOST_TEST(says(problem(R"({"model":"m/x","body":{},"nodeInfoList":[]})"), "takes \"body\""));
    BOOST_TEST(says(problem(R"({"app":"1","nodeinfolist":[]})"), "unknown key \"nodeinfolist\""));
    BOOST_TEST(says(problem(R"({"app":"1","id":""})"), "\"id\" must be"));
    BOOST_TEST(says(problem(R"({"app":"1","usePersonalQueue":"yes"})"), "true or false"));
}

BOOST_AUTO_TEST_CASE(a_jobs_file_is_checked_whole) {
    temp_dir dir;
    std::ofstream(dir.path / "cat.png") << "png";
    auto write = [&](const std::string& text) {
        std::ofstream(dir.path / "jobs.jsonl") << text;
        return dir.path / "jobs.jsonl";
    };
    auto f = rh::read_jobs_file(write("{\"app\":\"1\",\"files\":{\"10:image\":\"cat.png\"}}\n\n{\"app\":\"1\"}\n"));
    BOOST_REQUIRE(f.jobs.size() == 2u);
    BOOST_TEST(f.jobs[0].files[0].path == dir.path / "cat.png");  // relative to the jobs file
    BOOST_TEST(f.jobs[1].id == "3");                               // blank lines count
    auto again = rh::read_jobs_file(dir.path / "jobs.jsonl");
    BOOST_TEST(again.fingerprint == f.fingerprint);
    BOOST_TEST(rh::read_jobs_file(dir.path / "jobs.jsonl", {"9", ""}).fingerprint != f.fingerprint);
    auto fails = [&](const std::string& text, const std::string& what) {
        try {
            rh::read_jobs_file(write(text));
        } catch (const rh::error& e) {
            BOOST_TEST_INFO(e.what());
            return std::string(e.what()).find(what) != std::string::npos;
        }
        return false;
    };
    BOOST_TEST(fails("{\"app\":\"1\",\"id\":\"a\"}\n{\"app\":\"1\",\"id\":\"a\"}\n", "jobs.jsonl line 2: id \"a\" is also the id of line 1"));
    BOOST_TEST(fails("{\"app\":\"1\",\"files\":{\"10:image\":\"missing.png\"}}\n", "line 1: cannot read"));
    BOOST_TEST(fails("{\"app\":\"1\"}\n{\"app\":\n", "line 2: not JSON"));
    BOOST_TEST(fails("\n", "no jobs"));
    BOOST_CHECK_THROW(rh::read_jobs_file(dir.path / "none.jsonl"), rh::error);
}

BOOST_AUTO_TEST_CASE(results_lines_have_the_issue_s_shape) {
    rh::batch_result r;
    r.job_id = "cat-1";
    r.outcome = rh::batch_outcome::succeeded;
    r.step = rh::batch_step::done;
    r.t.id = "1900000000000000001";
    r.t.status = rh::task_status::success;
    r.t.results.push_back({"https://x/o.png", "png", "9", std::nullopt});
    r.t.usage.consume_coins = "10";
    r.files.resize(1);
    r.files[0].path = "out/1900000000000000001-9-0.png";
    auto v = boost::json::parse(rh::result_line(r)).as_object();
    BOOST_TEST(v.at("id").as_string() == "cat-1");
    BOOST_TEST(v.at("taskId").as_string() == "1900000000000000001");
    BOOST_TEST(v.at("status").as_string() == "SUCCESS");
    BOOST_TEST(v.at("error").is_null());
    auto& res = v.at("results").as_array().at(0).as_object();
    BOOST_TEST(res.at("nodeId").as_string() == "9");
    BOOST_TEST(res.at("path").as_string() == "out/1900000000000000001-9-0.png");
    BOOST_TEST(res.at("text").is_null());
    BOOST_TEST(v.at("usage").as_object().at("consumeCoins").as_string() == "10");

    rh::batch_result f;
    f.job_id = "2";
    f.outcome = rh::batch_outcome::failed;
    f.step = rh::batch_step::wait;
    f.ec = rh::make_error_code(rh::errc::task_failed);
    f.t.id = "7";
    f.t.status = rh::task_status::failed;
    f.t.failed_reason.raw = boost::json::object{{"node_id", "276"}, {"exception_message", "boom"}};
    auto fv = boost::json::parse(rh::result_line(f)).as_object();
    BOOST_TEST(fv.at("status").as_string() == "FAILED");
    BOOST_TEST(fv.at("error").as_object().at("failedReason").as_object().at("node_id").as_string() == "276");
    BOOST_TEST(!fv.at("error").as_object().at("message").as_string().empty());

    rh::batch_result none;
    none.outcome = rh::batch_outcome::failed;
    BOOST_TEST(rh::result_status(none) == "NOT_CREATED");
    none.outcome = rh::batch_outcome::in_doubt;
    BOOST_TEST(rh::result_status(none) == "UNKNOWN");
    none.t.id = "8";  // accepted, its end not seen
    BOOST_TEST(rh::result_status(none) == "RUNNING");
}

BOOST_AUTO_TEST_CASE(a_results_file_is_read_back_and_appended) {
    temp_dir dir;
    auto file = dir.path / "out.jsonl";
    rh::batch_result a;
    a.job_id = "a";
    a.outcome = rh::batch_outcome::succeeded;
    a.t.id = "1";
    a.t.status = rh::task_status::success;
    rh::batch_result b = a;
    b.job_id = "b";
    b.outcome = rh::batch_outcome::in_doubt;
    b.t.status = rh::task_status::running;
    {
        rh::results_file out(file);
        BOOST_TEST(!out.append(a));
        BOOST_TEST(!out.append(b));
    }
    std::ofstream(file, std::ios::app) << R"({"id":"c","sta)";  // torn by a crash
    rh::results_file out(file);
    BOOST_TEST(out.has_final("a"));
    BOOST_TEST(!out.has_final("b"));  // left running by a stop: taken over again
    BOOST_TEST(!out.has_final("c"));
    BOOST_TEST(out.known().size() == 2u);
    BOOST_TEST(!out.append(a));
    std::ifstream in(file);
    std::size_t whole = 0, torn = 0;
    for (std::string l; std::getline(in, l);) {
        boost::system::error_code ec;
        boost::json::parse(l, ec);
        ++(ec ? torn : whole);
    }
    BOOST_TEST(whole == 3u);  // the appended line starts a line of its own
    BOOST_TEST(torn == 1u);
}

BOOST_AUTO_TEST_CASE(result_file_names_are_safe_and_distinct) {
    BOOST_TEST(rh::result_file_name("19", "9", 0, "png") == "19-9-0.png");
    BOOST_TEST(rh::result_file_name("19", "9", 1, "png") == "19-9-1.png");
    BOOST_TEST(rh::result_file_name("../x", "a/b", 2, "") == "___x-a_b-2.bin");
}

BOOST_AUTO_TEST_SUITE_END()
