// SPDX-License-Identifier: BSL-1.0
#pragma once
// Files: uploads (multipart forms and presigned PUTs) stored on disk, result
// files generated on the fly; both served back with Range, If-Range, ETag and
// Content-MD5. Their bodies stream: memory stays bounded at any size.

#include "faults.hpp"
#include "state.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace runninghub::detail {
class server_stream;
}

namespace runninghub::emu {

class files {
public:
    files(state& st, faults& f) : st_(st), faults_(f) {}

    enum class kind { none, upload, download };
    /// Whether a request streams its body (an upload) or its answer (a file); decided on its head.
    static kind streamed(http::verb method, std::string_view path);

    /// POST /openapi/v2/media/upload/binary, POST /task/openapi/upload, PUT /cos/lora/<md5>.safetensors.
    /// co_return false: close the connection.
    boost::asio::awaitable<bool> upload(detail::server_stream& s);
    /// GET /files/input/<name> (uploads) and /files/<task>/<name> (generated results).
    boost::asio::awaitable<bool> download(detail::server_stream& s);

private:
    struct received;
    void answer_put(received& r, const std::string& path, response_t& res);
    void answer_legacy(received& r, bool bearer_ok, response_t& res);
    void answer_v2(received& r, bool bearer_ok, std::uint64_t seq, response_t& res);
    void store(received& r, const std::string& name);
    const std::string& generated_md5(std::uint64_t size);

    state& st_;
    faults& faults_;
    std::atomic<std::uint64_t> upload_seq_{0};
    std::mutex md5_mu_;
    std::map<std::uint64_t, std::string> generated_md5s_;  // by result file size
};

} // namespace runninghub::emu
