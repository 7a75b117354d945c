// SPDX-License-Identifier: BSL-1.0
// Uploads (v2 binary, legacy, LoRA) and downloads (resume, checksum, CDN
// origins, sinks, text outputs) over sockets against the emulator.
#include "common.hpp"
#include "../temp_dir.hpp"

#include "codec/md5.hpp"
#include "../../bench/peak_rss.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace fs = std::filesystem;
using runninghub::bench::peak_rss_kib;
using runninghub::bench::reset_peak_rss;

namespace {

std::string random_bytes(std::size_t n, unsigned seed = 1) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng());
    return s;
}

void write_file(const fs::path& p, std::string_view bytes) {
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string md5_of(std::string_view s) {
    rh::detail::md5 h;
    h.update(s.data(), s.size());
    return h.hex();
}

rh::result_file file_at(std::string url) {
    rh::result_file f;
    f.url = std::move(url);
    return f;
}

asio::awaitable<rh::task> finished_task(rh::client& c) {
    rh::ai_app app(app_id);
    auto t = co_await c.run(app, some_inputs());
    co_return co_await c.wait(t.id);
}

} // namespace

BOOST_AUTO_TEST_SUITE(transfers)

BOOST_AUTO_TEST_CASE(upload_v2_from_disk_and_memory_then_download_back) {
    harness h;
    temp_dir dir;
    auto bytes = random_bytes(300 * 1024 + 7);
    write_file(dir.path / "cat.png", bytes);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await h.c.upload(rh::upload_file(dir.path / "cat.png"), tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << up.diag.to_string());
        BOOST_TEST(up.file_name == "openapi/" + md5_of(bytes) + ".png");
        BOOST_TEST(up.md5 == md5_of(bytes));
        BOOST_TEST(up.size == bytes.size());
        BOOST_TEST(up.type == "image");
        BOOST_TEST(up.download_url.find("/files/input/") != std::string::npos);

        // The same bytes from memory: the other envelope spelling (msg instead of message) this time.
        auto [mec, mem] = co_await h.c.upload(rh::upload_file("cat.png", bytes), tuple_token);
        BOOST_TEST_REQUIRE(!mec, mem.diag.to_string());
        BOOST_TEST(mem.file_name == up.file_name);

        auto [dec, got] = co_await h.c.download(file_at(up.download_url), dir.path / "back.png", {}, tuple_token);
        BOOST_TEST_REQUIRE(!dec, got.diag.to_string());
        BOOST_TEST(got.checksum_verified);
        BOOST_TEST(got.bytes == bytes.size());
        BOOST_TEST(read_file(dir.path / "back.png") == bytes);
        BOOST_TEST(!fs::exists(dir.path / "back.png.part"));
    });
    auto c = h.emu.counters();
    BOOST_TEST(c.uploads == 2u);
    BOOST_TEST(c.storage_requests_with_key == 0u);
}

BOOST_AUTO_TEST_CASE(upload_errors_before_and_from_the_service) {
    harness h;
    temp_dir dir;
    write_file(dir.path / "a.png", "png");
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await h.c.upload(rh::upload_file(dir.path / "missing.png"), tuple_token);
        BOOST_TEST(ec == rh::errc::file_error);
        BOOST_TEST(up.diag.server_message.find("missing.png") != std::string::npos, up.diag.server_message);
        auto [dec, d] = co_await h.c.upload(rh::upload_file(dir.path), tuple_token);
        BOOST_TEST(dec == rh::errc::file_error);
        BOOST_TEST(d.diag.server_message.find("not a regular file") != std::string::npos);
        auto [tec, t] = co_await h.c.legacy_upload(rh::upload_file(dir.path / "a.png"), "picture", tuple_token);
        BOOST_TEST(tec == rh::errc::invalid_options);
    });
    BOOST_TEST(h.emu.counters().total_requests() == 0u);

    auto eo = fast_emulator();
    eo.legacy_upload_limit = 2;  // the service's own check (809), below the client's 30 MB
    harness bad_key(eo, [](rh::client_options& o) { o.api_key = "ffffffffffffffffffffffffffffffff"; });
    harness small(eo);
    run_test(bad_key.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await bad_key.c.upload(rh::upload_file(dir.path / "a.png"), tuple_token);
        BOOST_TEST(ec == rh::errc::upload_key_rejected);
        BOOST_TEST(up.diag.server_message.find("ApiKey verification failed") != std::string::npos);
        auto [lec, l] = co_await bad_key.c.legacy_upload(rh::upload_file(dir.path / "a.png"), "image", tuple_token);
        BOOST_TEST(lec == rh::errc::apikey_unauthorized);
    });
    run_test(small.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await small.c.legacy_upload(rh::upload_file(dir.path / "a.png"), "image", tuple_token);
        BOOST_TEST(ec == rh::errc::apikey_file_size_exceeded);
    });
}

BOOST_AUTO_TEST_CASE(legacy_upload_and_its_30_mb_limit) {
    harness h;
    temp_dir dir;
    auto bytes = random_bytes(64 * 1024, 2);
    write_file(dir.path / "clip.mp4", bytes);
    {
        std::FILE* f = std::fopen((dir.path / "big.mp4").c_str(), "wb");
        BOOST_TEST_REQUIRE(f != nullptr);
        BOOST_TEST_REQUIRE(::ftruncate(fileno(f), (30 << 20) + 1) == 0);  // sparse: no disk used
        std::fclose(f);
    }
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await h.c.legacy_upload(rh::upload_file(dir.path / "clip.mp4"), "video", tuple_token);
        BOOST_TEST_REQUIRE(!ec, up.diag.to_string());
        BOOST_TEST(up.file_name == "api/" + md5_of(bytes) + ".mp4");
        BOOST_TEST(up.type == "video");
        auto [bec, big] = co_await h.c.legacy_upload(rh::upload_file(dir.path / "big.mp4"), "video", tuple_token);
        BOOST_TEST(bec == rh::errc::file_too_large);
        BOOST_TEST(big.diag.server_message.find("big.mp4") != std::string::npos, big.diag.server_message);
        BOOST_TEST(big.diag.server_message.find("30 MB") != std::string::npos);
    });
    BOOST_TEST(requests_to(h.emu, "POST /task/openapi/upload") == 1u);
}

BOOST_AUTO_TEST_CASE(lora_upload_with_md5_to_a_presigned_url) {
    harness h;
    temp_dir dir;
    auto bytes = random_bytes(200 * 1024, 3);
    write_file(dir.path / "style.safetensors", bytes);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto [ec, up] = co_await h.c.upload_lora(rh::upload_file(dir.path / "style.safetensors"), "my-style", tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << up.diag.to_string());
        BOOST_TEST(up.md5 == md5_of(bytes));
        BOOST_TEST(up.file_name == "api-lora-cn/" + md5_of(bytes) + ".safetensors");
        BOOST_TEST(up.size == bytes.size());
        auto [nec, n] = co_await h.c.upload_lora(rh::upload_file(dir.path / "style.safetensors"), "", tuple_token);
        BOOST_TEST(nec == rh::errc::invalid_options);
    });
    auto c = h.emu.counters();
    BOOST_TEST(c.requests["POST /api/openapi/getLoraUploadUrl"] == 1u);
    BOOST_TEST(c.requests["PUT /cos"] == 1u);
    BOOST_TEST(c.uploads == 1u);
    BOOST_TEST(c.storage_requests_with_key == 0u);  // the presigned URL never sees the key
}

BOOST_AUTO_TEST_CASE(download_result_with_progress_and_checksum) {
    auto eo = fast_emulator();
    eo.result_file_size = 1'000'003;
    harness h(eo);
    temp_dir dir;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t = co_await finished_task(h.c);
        BOOST_TEST_REQUIRE(t.results.size() == 1u);
        rh::download_options o;
        o.progress = [&](std::uint64_t done, std::optional<std::uint64_t> total) {
            progress.emplace_back(done, total.value_or(0));
        };
        auto [ec, d] = co_await h.c.download(t.results[0], dir.path, o, tuple_token);  // into a directory
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << d.diag.to_string());
        BOOST_TEST(d.path == dir.path / "output.png");
        BOOST_TEST(d.bytes == 1'000'003u);
        BOOST_TEST(d.received == 1'000'003u);
        BOOST_TEST(d.resumes == 0u);
        BOOST_TEST(d.checksum_verified);
        BOOST_TEST(fs::file_size(d.path) == 1'000'003u);

        std::string streamed;
        auto [sec, s] = co_await h.c.download(t.results[0], rh::download_sink([&](const char* p, std::size_t n) {
                                                  streamed.append(p, n);
                                                  return rh::error_code{};
                                              }),
                                              {}, tuple_token);
        BOOST_TEST_REQUIRE(!sec);
        BOOST_TEST(s.path.empty());
        BOOST_TEST(streamed == read_file(d.path));
        BOOST_TEST(s.md5 == d.md5);

        // A sink that refuses stops the transfer with its own error, not repeated.
        auto files_before = requests_to(h.emu, "GET /files");
        auto [rec, r] = co_await h.c.download(t.results[0], rh::download_sink([](const char*, std::size_t) {
                                                  return make_error_code(boost::system::errc::no_space_on_device);
                                              }),
                                              {}, tuple_token);
        BOOST_TEST(rec == boost::system::errc::no_space_on_device);
        BOOST_TEST(requests_to(h.emu, "GET /files") == files_before + 1);
    });
    BOOST_TEST_REQUIRE(!progress.empty());
    BOOST_TEST(progress.back().first == 1'000'003u);
    BOOST_TEST(progress.back().second == 1'000'003u);
    BOOST_TEST(std::is_sorted(progress.begin(), progress.end()));
    BOOST_TEST(h.emu.counters().storage_requests_with_key == 0u);
}

// An interim 103 before a file's answer (a CDN's Early Hints) was taken for the
// answer: the download failed with HTTP 103, and the file's 200 stayed on the
// kept-alive connection to be read as the answer of the next request.
BOOST_AUTO_TEST_CASE(an_interim_103_before_a_file_is_read_past) {
    for (bool tls : {true, false}) {
        auto eo = fast_emulator();
        eo.tls = tls;
        eo.result_file_size = 100'003;
        harness h(eo);
        temp_dir dir;
        run_test(h.io, [&]() -> asio::awaitable<void> {
            auto t = co_await finished_task(h.c);
            BOOST_TEST_REQUIRE(t.results.size() == 1u);
            auto opened = h.c.stats().pool.opened;
            h.emu.set_faults({rh::fault{rh::fault_kind::early_hints, 1.0, "/files/", 0ms, 1, 1}});
            auto [ec, d] = co_await h.c.download(t.results[0], dir.path / "hinted.png", {}, tuple_token);
            BOOST_TEST_REQUIRE(!ec, ec.message() << " " << d.diag.to_string());
            BOOST_TEST(d.bytes == 100'003u);
            BOOST_TEST(d.checksum_verified);
            BOOST_TEST(h.emu.counters().faults["early_hints"] == 1u);
            // The same pooled connection serves the next request with its own answer.
            auto [qec, q] = co_await h.c.query(t.id, tuple_token);
            BOOST_TEST(!qec, qec.message() << " " << q.diag.to_string());
            BOOST_TEST(q.id == t.id);
            BOOST_TEST(h.c.stats().pool.opened == opened);
        });
    }
}

BOOST_AUTO_TEST_CASE(broken_download_resumes_with_range) {
    auto eo = fast_emulator();
    eo.result_file_size = 2'000'000;
    harness h(eo);
    temp_dir dir;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t = co_await finished_task(h.c);
        h.emu.set_faults({rh::fault{rh::fault_kind::truncated_body, 1.0, "/files/", 0ms, 1, 1}});
        auto [ec, d] = co_await h.c.download(t.results[0], dir.path / "out.png", {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << d.diag.to_string());
        BOOST_TEST(d.resumes == 1u);
        BOOST_TEST(d.bytes == 2'000'000u);
        BOOST_TEST(d.received == 2'000'000u);  // each byte received once
        BOOST_TEST(d.checksum_verified);       // against the ETag, since the 206 carries no Content-MD5

        // A .part left by an earlier call is continued, not restarted.
        auto whole = read_file(dir.path / "out.png");
        write_file(dir.path / "again.png.part", std::string_view(whole).substr(0, 1'234'567));
        auto [aec, a] = co_await h.c.download(t.results[0], dir.path / "again.png", {}, tuple_token);
        BOOST_TEST_REQUIRE(!aec, a.diag.to_string());
        BOOST_TEST(a.received == 2'000'000u - 1'234'567u);
        BOOST_TEST(read_file(dir.path / "again.png") == whole);

        // A corrupt .part fails the checksum and is removed; the next call starts over.
        std::string corrupt = whole.substr(0, 1000);
        corrupt[10] ^= 1;
        write_file(dir.path / "bad.png.part", corrupt);
        auto [bec, b] = co_await h.c.download(t.results[0], dir.path / "bad.png", {}, tuple_token);
        BOOST_TEST(bec == rh::errc::checksum_mismatch);
        BOOST_TEST(!fs::exists(dir.path / "bad.png"));
        BOOST_TEST(!fs::exists(dir.path / "bad.png.part"));
        auto [rec, r] = co_await h.c.download(t.results[0], dir.path / "bad.png", {}, tuple_token);
        BOOST_TEST(!rec);
        BOOST_TEST(read_file(dir.path / "bad.png") == whole);

        // Every transfer broken: the attempts run out, the .part stays for later.
        h.emu.set_faults({rh::fault{rh::fault_kind::truncated_body, 1.0, "/files/"}});
        rh::download_options two;
        two.max_attempts = 2;
        auto [xec, x] = co_await h.c.download(t.results[0], dir.path / "never.png", two, tuple_token);
        BOOST_TEST(!!xec);
        BOOST_TEST(x.resumes == 1u);
        BOOST_TEST(fs::exists(dir.path / "never.png.part"));
        BOOST_TEST(!fs::exists(dir.path / "never.png"));
    });
    BOOST_TEST(h.emu.counters().range_requests >= 3u);
}

BOOST_AUTO_TEST_CASE(result_files_on_another_origin) {
    rh::emulator cdn(fast_emulator());
    auto eo = fast_emulator();
    eo.result_base_url = cdn.base_url();
    harness h(eo, [&](rh::client_options& o) { o.ca_pem += cdn.ca_pem(); });
    temp_dir dir;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t = co_await finished_task(h.c);
        BOOST_TEST_REQUIRE(t.results[0].url.rfind(cdn.base_url(), 0) == 0u);
        auto [ec, d] = co_await h.c.download(t.results[0], dir.path / "x.png", {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec, d.diag.to_string());
        BOOST_TEST(d.checksum_verified);
    });
    BOOST_TEST(requests_to(cdn, "GET /files") == 1u);
    BOOST_TEST(requests_to(h.emu, "GET /files") == 0u);
    BOOST_TEST(cdn.counters().storage_requests_with_key == 0u);
    BOOST_TEST(h.c.stats().pool.tls_handshakes == 2u);  // one pool per origin, TLS verified on both
}

BOOST_AUTO_TEST_CASE(text_outputs_and_download_errors) {
    auto eo = fast_emulator();
    eo.result_kinds[app_id] = rh::result_kind::text;
    harness h(eo);
    temp_dir dir;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t = co_await finished_task(h.c);
        BOOST_TEST_REQUIRE(t.results.size() == 1u);
        BOOST_TEST(t.results[0].output_type == "txt");
        BOOST_TEST_REQUIRE(t.results[0].text.has_value());
        auto [ec, d] = co_await h.c.download(t.results[0], dir.path, {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec, d.diag.to_string());
        BOOST_TEST(d.text);
        BOOST_TEST(read_file(d.path) == *t.results[0].text);

        auto missing = file_at(h.emu.base_url() + "/files/input/nothing.png");
        auto [mec, m] = co_await h.c.download(missing, dir.path / "n.png", {}, tuple_token);
        BOOST_TEST(mec == rh::errc::http_unexpected_status);
        BOOST_TEST(m.diag.http_status == 404u);
        BOOST_TEST(m.diag.body_excerpt.find("NoSuchKey") != std::string::npos);
        auto [uec, u] = co_await h.c.download(file_at("ftp://x/y"), dir.path / "n.png", {}, tuple_token);
        BOOST_TEST(uec == rh::errc::invalid_options);
        auto [pec, p] = co_await h.c.download(file_at(h.emu.base_url() + "/files/1/output.png"),
                                              dir.path / "no-such-dir" / "x.png", {}, tuple_token);
        BOOST_TEST(pec == rh::errc::file_error);
        BOOST_TEST(p.diag.server_message.find("no-such-dir") != std::string::npos);
    });
    BOOST_TEST(requests_to(h.emu, "GET /files") == 1u);  // the text needed none; the 404 is not repeated
}

// A big file goes up and comes back in bounded memory (RUNNINGHUB_BIG_FILE_MB, default 1024).
BOOST_AUTO_TEST_CASE(big_file_round_trip_in_bounded_memory) {
    std::uint64_t mb = 1024;
    if (const char* e = std::getenv("RUNNINGHUB_BIG_FILE_MB"))
        mb = std::stoull(e);
    std::uint64_t size = mb << 20;
    harness h;
    temp_dir dir;
    {
        // Sparse: no disk used by the source, while every byte is still read and sent.
        std::FILE* f = std::fopen((dir.path / "big.mp4").c_str(), "wb");
        BOOST_TEST_REQUIRE(f != nullptr);
        std::fwrite("head", 1, 4, f);
        BOOST_TEST_REQUIRE(::ftruncate(fileno(f), static_cast<off_t>(size)) == 0);
        std::fclose(f);
    }
    bool can_reset = reset_peak_rss();
    long before = peak_rss_kib();
    double up_s = 0, down_s = 0;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t0 = rh::clock::now();
        auto [ec, up] = co_await h.c.upload(rh::upload_file(dir.path / "big.mp4"), tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << up.diag.to_string());
        BOOST_TEST(up.size == size);
        up_s = seconds_since(t0);
        fs::remove(dir.path / "big.mp4");
        auto t1 = rh::clock::now();
        auto [dec, d] = co_await h.c.download(file_at(up.download_url), dir.path / "back.mp4", {}, tuple_token);
        BOOST_TEST_REQUIRE(!dec, d.diag.to_string());
        BOOST_TEST(d.md5 == up.md5);
        BOOST_TEST(d.checksum_verified);
        down_s = seconds_since(t1);
    }, 600s);
    long grew_mib = (peak_rss_kib() - before) / 1024;
    BOOST_TEST_MESSAGE(mb << " MiB: upload " << up_s << " s (" << mb / up_s << " MiB/s), download " << down_s << " s ("
                          << mb / down_s << " MiB/s); peak RSS " << before / 1024 << " MiB before, grew by " << grew_mib
                          << " MiB (client and emulator" << (can_reset ? "" : "; the peak could not be reset") << ")");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // Sanitizers keep freed memory in quarantine: RSS says nothing here.
    can_reset = false;
#endif
    if (can_reset)
        BOOST_TEST(grew_mib < 64, "peak RSS grew by " << grew_mib << " MiB for a " << mb << " MiB file");
}

BOOST_AUTO_TEST_SUITE_END()
