// SPDX-License-Identifier: BSL-1.0
#pragma once
// MD5 of the emulator's files over OpenSSL's EVP interface, fed in chunks. The
// emulator's own copy: a test oracle shares no code with the client it checks.

#include <openssl/evp.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace runninghub::emu {

class md5 {
public:
    md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
    ~md5() { EVP_MD_CTX_free(ctx_); }
    md5(const md5&) = delete;
    md5& operator=(const md5&) = delete;

    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }

    /// The digest as 32 lower-case hex digits; call once.
    std::string hex() {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx_, d, &n);
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        for (unsigned i = 0; i < n; ++i) {
            s += digits[d[i] >> 4];
            s += digits[d[i] & 15];
        }
        return s;
    }

    /// A hex digest as base64 (Content-MD5, RFC 1864); empty when not 32 hex digits.
    static std::string hex_to_base64(std::string_view hex) {
        if (hex.size() != 32)
            return {};
        auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        unsigned char raw[16];
        for (int i = 0; i < 16; ++i)
            raw[i] = static_cast<unsigned char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
        unsigned char out[32];
        int n = EVP_EncodeBlock(out, raw, 16);
        return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    }

private:
    EVP_MD_CTX* ctx_;
};

} // namespace runninghub::emu
