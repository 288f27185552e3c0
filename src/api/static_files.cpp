#include "api/static_files.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include <openssl/evp.h>

#include "api/router.h"

namespace vigil::api {

namespace {

namespace fs = std::filesystem;

std::string ShortSha256Hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < 8 && i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

bool HasExtension(std::string_view path) {
    const size_t slash = path.rfind('/');
    return path.find('.', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
    struct Entry {
        std::string_view ext;
        std::string_view type;
    };
    static constexpr Entry kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
    };
    for (const auto& e : kTypes) {
        if (name.ends_with(e.ext)) return e.type;
    }
    return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::Load(const fs::path& root) {
    StaticFiles out;
    std::error_code ec;
    if (!fs::is_regular_file(root / "index.html", ec)) {
        return MakeError(Code::kNotFound, "console directory " + root.string() +
                                              " has no index.html (build it: "
                                              "bash scripts/build_console.sh)");
    }
    size_t total = 0;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) return MakeError(Code::kUnavailable, "reading " + root.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            return MakeError(Code::kUnavailable, "reading " + root.string() + ": " + ec.message());
        }
        if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
        if (out.files_.size() >= kMaxStaticFiles) {
            return MakeError(Code::kResourceExhausted, root.string() + " holds more than " +
                                                           std::to_string(kMaxStaticFiles) +
                                                           " files; is it the console?");
        }
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream body;
        body << in.rdbuf();
        if (!in && !in.eof()) {
            return MakeError(Code::kUnavailable, "reading " + it->path().string());
        }
        File file;
        file.body = std::move(body).str();
        total += file.body.size();
        if (total > kMaxStaticBytes) {
            return MakeError(Code::kResourceExhausted,
                             root.string() + " is larger than " +
                                 std::to_string(kMaxStaticBytes / (1024 * 1024)) +
                                 " MiB; is it the console?");
        }
        const std::string rel = fs::relative(it->path(), root, ec).generic_string();
        file.content_type = std::string(ContentTypeFor(rel));
        file.etag = "\"" + ShortSha256Hex(file.body) + "\"";
        out.files_.emplace("/" + rel, std::move(file));
    }
    return out;
}

Response StaticFiles::Serve(std::string_view path, std::string_view if_none_match,
                            bool head) const {
    auto it = files_.find(path == "/" ? std::string_view("/index.html") : path);
    if (it == files_.end() && !HasExtension(path))
        it = files_.find(std::string_view("/index.html"));
    if (it == files_.end()) return Response::Error(404, "no such resource");
    const File& file = it->second;
    Response r;
    r.content_type = file.content_type;
    r.headers.emplace_back("ETag", file.etag);
    // Vite names assets after their content hash, so they never change under one name.
    r.headers.emplace_back("Cache-Control", it->first.starts_with("/assets/")
                                                ? "public, max-age=31536000, immutable"
                                                : "no-cache");
    if (!if_none_match.empty() && if_none_match == file.etag) {
        r.status = 304;
        return r;
    }
    r.status = 200;
    if (!head) r.body = file.body;
    return r;
}

}  // namespace vigil::api
