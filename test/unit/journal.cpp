// SPDX-License-Identifier: BSL-1.0
// The batch journal: replay after a "crash" (reopening the file), torn lines, foreign batches.
#include <runninghub/journal.hpp>

#include "../print.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

using runninghub::batch_journal;
namespace fs = std::filesystem;

namespace {
struct temp_file {
    temp_file() {
        std::string tmpl = (fs::temp_directory_path() / "runninghub-journal-XXXXXX").string();
        int fd = ::mkstemp(tmpl.data());
        ::close(fd);
        path = tmpl;
        fs::remove(path);  // the journal creates it
    }
    ~temp_file() { fs::remove(path); }
    fs::path path;
};
using st = batch_journal::state;
} // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(replay_restores_every_state) {
    temp_file f;
    {
        batch_journal j(f.path, "batch-A", 5);
        BOOST_TEST(j.size() == 5u);
        BOOST_TEST(!j.submitting(0));
        BOOST_TEST(!j.accepted(0, "1900000000000000001"));
        BOOST_TEST(!j.ended(0, "SUCCESS"));
        BOOST_TEST(!j.submitting(1));
        BOOST_TEST(!j.accepted(1, "1900000000000000002"));
        BOOST_TEST(!j.submitting(2));  // crash before the answer
        BOOST_TEST(!j.submitting(3));
        BOOST_TEST(!j.not_created(3));  // 421: no task
        BOOST_TEST(!j.submitting(4));
        BOOST_TEST(!j.unknown(4));  // submit_outcome_unknown
    }
    batch_journal j(f.path, "batch-A", 5);
    BOOST_TEST(j[0].st == st::ended);
    BOOST_TEST(j[0].status == "SUCCESS");
    BOOST_TEST(j[1].st == st::accepted);
    BOOST_TEST(j[1].task_id == "1900000000000000002");
    BOOST_TEST(j[2].st == st::in_doubt);
    BOOST_TEST(j[3].st == st::pending);
    BOOST_TEST(j[4].st == st::in_doubt);
    BOOST_TEST(j.ignored_lines() == 0u);
}

BOOST_AUTO_TEST_CASE(a_torn_last_line_is_removed) {
    temp_file f;
    {
        batch_journal j(f.path, "b", 3);
        BOOST_TEST(!j.submitting(0));
        BOOST_TEST(!j.accepted(0, "7"));
    }
    std::ofstream(f.path, std::ios::app) << R"({"i":1,"e":"subm)";  // the crash came mid-write
    {
        batch_journal j(f.path, "b", 3);
        BOOST_TEST(j.ignored_lines() == 1u);
        BOOST_TEST(j[0].st == st::accepted);
        BOOST_TEST(j[1].st == st::pending);
        BOOST_TEST(!j.submitting(2));  // starts a line of its own
    }
    batch_journal j(f.path, "b", 3);
    BOOST_TEST(j[2].st == st::in_doubt);
    BOOST_TEST(j.ignored_lines() == 0u);  // it went
}

namespace {
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
std::vector<std::pair<st, std::string>> states(const batch_journal& j) {
    std::vector<std::pair<st, std::string>> v;
    for (std::size_t i = 0; i < j.size(); ++i)
        v.emplace_back(j[i].st, j[i].task_id + "/" + j[i].status + "/" + std::to_string(j[i].downloaded.size()));
    return v;
}
} // namespace

BOOST_AUTO_TEST_CASE(any_flipped_byte_stops_the_replay_or_changes_nothing) {
    // Issue 11: one flipped byte in the header made the next run a new batch (15 tasks for 10).
    temp_file f;
    {
        batch_journal j(f.path, "batch-A", 4);
        BOOST_TEST(!j.submitting(0));
        BOOST_TEST(!j.accepted(0, "1900000000000000001"));
        BOOST_TEST(!j.ended(0, "SUCCESS"));
        BOOST_TEST(!j.downloaded(0, 0, 2048));
        BOOST_TEST(!j.submitting(1));
        BOOST_TEST(!j.not_created(1));
        BOOST_TEST(!j.submitting(2));
        BOOST_TEST(!j.accepted(2, "1900000000000000002"));
        BOOST_TEST(!j.submitting(3));
    }
    auto good = read_all(f.path);
    std::vector<std::pair<st, std::string>> expected;
    {
        batch_journal j(f.path, "batch-A", 4);
        expected = states(j);
    }
    std::size_t stopped = 0;
    for (std::size_t k = 0; k < good.size(); ++k)
        for (char bit : {'\x01', '\x20'}) {
            auto bad = good;
            bad[k] = static_cast<char>(bad[k] ^ bit);
            std::ofstream(f.path, std::ios::binary | std::ios::trunc) << bad;
            try {
                batch_journal j(f.path, "batch-A", 4);
                // Only the last line break may go unnoticed: the line before it is whole.
                BOOST_TEST(k == good.size() - 1, "byte " << k << " flipped, replay went on");
                BOOST_TEST((states(j) == expected));
            } catch (const runninghub::error& e) {
                ++stopped;
                std::string what = e.what();
                BOOST_TEST(what.find("line ") != std::string::npos, what);
            }
        }
    BOOST_TEST(stopped >= 2 * good.size() - 2);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_journal_is_refused_not_wiped) {
    // --journal pointed at another file by mistake: a one-line file without a
    // line break looked like a torn last line and was truncated.
    temp_file f;
    std::ofstream(f.path, std::ios::binary) << R"({"id":"cat-1","app":"1877265245566922753"})";
    BOOST_CHECK_EXCEPTION(batch_journal(f.path, "batch-A", 2), runninghub::error, [](const runninghub::error& e) {
        return std::string(e.what()).find("line 1") != std::string::npos;
    });
    BOOST_TEST(read_all(f.path) == R"({"id":"cat-1","app":"1877265245566922753"})");
    // A torn header (a crash while creating the journal) is the journal's own: it goes.
    std::ofstream(f.path, std::ios::binary | std::ios::trunc) << R"({"batch":"bat)";
    batch_journal j(f.path, "batch-A", 2);
    BOOST_TEST(j.ignored_lines() == 1u);
}

BOOST_AUTO_TEST_CASE(another_batch_or_a_smaller_one_is_refused) {
    temp_file f;
    {
        batch_journal j(f.path, "batch-A", 10);
        BOOST_TEST(!j.submitting(9));
    }
    BOOST_CHECK_EXCEPTION(batch_journal(f.path, "batch-B", 10), runninghub::error, [](const runninghub::error& e) {
        return e.code() == runninghub::errc::invalid_options && std::string(e.what()).find("another batch") != std::string::npos;
    });
    BOOST_CHECK_EXCEPTION(batch_journal(f.path, "batch-A", 5), runninghub::error,
                          [](const runninghub::error& e) { return e.code() == runninghub::errc::invalid_options; });
    BOOST_CHECK_EXCEPTION(batch_journal("/nonexistent-dir/j.log", "x", 1), runninghub::error,
                          [](const runninghub::error& e) { return e.code() == runninghub::errc::file_error; });
}

BOOST_AUTO_TEST_CASE(one_run_at_a_time) {
    // Two runs replaying one journal would both submit every job: the second is refused.
    temp_file f;
    {
        batch_journal first(f.path, "batch-A", 3);
        BOOST_CHECK_EXCEPTION(batch_journal(f.path, "batch-A", 3), runninghub::error, [](const runninghub::error& e) {
            return e.code() == runninghub::errc::invalid_options &&
                   std::string(e.what()).find("another run") != std::string::npos;
        });
        BOOST_TEST(!first.submitting(0));  // the first goes on
    }
    batch_journal again(f.path, "batch-A", 3);  // its lock went with it
    BOOST_TEST((again[0].st == batch_journal::state::in_doubt));
}

BOOST_AUTO_TEST_CASE(downloads_are_replayed_per_result_file) {
    temp_file f;
    {
        batch_journal j(f.path, "d", 2);
        BOOST_TEST(!j.submitting(1));
        BOOST_TEST(!j.accepted(1, "9"));
        BOOST_TEST(!j.ended(1, "SUCCESS"));
        BOOST_TEST(!j.downloaded(1, 0, 2048));
        BOOST_TEST(!j.downloaded(1, 2, 10));
        BOOST_TEST(j[1].downloaded.size() == 2u);
    }
    batch_journal j(f.path, "d", 2);
    BOOST_TEST(j[1].st == st::ended);
    BOOST_TEST(j[1].downloaded.size() == 2u);
    BOOST_TEST(j[1].downloaded.at(0) == 2048u);
    BOOST_TEST(j[1].downloaded.at(2) == 10u);
    BOOST_TEST(j[0].downloaded.empty());
}

BOOST_AUTO_TEST_SUITE_END()
