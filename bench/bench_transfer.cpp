// SPDX-License-Identifier: BSL-1.0
// Upload and download throughput and peak memory for one big file against the
// in-process emulator (HTTPS, loopback).   bench_transfer [MiB=200] [dir=/tmp]
#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "peak_rss.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

namespace asio = boost::asio;
namespace rh = runninghub;
namespace fs = std::filesystem;
using runninghub::bench::peak_rss_kib;
using runninghub::bench::reset_peak_rss;

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 200;
    fs::path dir = argc > 2 ? argv[2] : fs::temp_directory_path();
    fs::path src = dir / "runninghub-bench-upload.bin", dst = dir / "runninghub-bench-download.bin";
    {
        // Random bytes, so that nothing along the way can shortcut them.
        std::ofstream out(src, std::ios::binary);
        std::mt19937_64 rng(1);
        std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
        for (std::uint64_t i = 0; i < mib; ++i) {
            for (auto& w : block)
                w = rng();
            out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * 8));
        }
    }
    rh::emulator emu;
    asio::io_context io;
    rh::client client(io.get_executor(), emu.make_client_options());
    reset_peak_rss();
    long rss_before = peak_rss_kib();
    double up_s = 0, down_s = 0, up_cpu = 0, down_cpu = 0;
    int rc = 1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto t0 = rh::clock::now();
        double c0 = cpu_seconds();
        auto up = co_await client.upload(rh::upload_file(src));
        up_s = std::chrono::duration<double>(rh::clock::now() - t0).count();
        up_cpu = cpu_seconds() - c0;
        auto t1 = rh::clock::now();
        double c1 = cpu_seconds();
        rh::result_file f;
        f.url = up.download_url;
        auto d = co_await client.download(f, dst);
        down_s = std::chrono::duration<double>(rh::clock::now() - t1).count();
        down_cpu = cpu_seconds() - c1;
        rc = d.md5 == up.md5 && d.checksum_verified ? 0 : 1;
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    long grew = peak_rss_kib() - rss_before;
    std::printf("bench_transfer: %llu MiB over HTTPS on loopback (client and emulator in one process, 2 cores)\n"
                "  upload    %.2f s  %.0f MiB/s  (process CPU %.2f s)\n"
                "  download  %.2f s  %.0f MiB/s  (process CPU %.2f s)  MD5 %s\n"
                "  peak RSS  %ld MiB before, +%ld KiB during both transfers\n",
                static_cast<unsigned long long>(mib), up_s, mib / up_s, up_cpu, down_s, mib / down_s, down_cpu,
                rc == 0 ? "verified" : "MISMATCH", rss_before / 1024, grew);
    std::error_code ec;
    fs::remove(src, ec);
    fs::remove(dst, ec);
    return rc;
}
