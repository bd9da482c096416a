// Handlers::RemoteWrite against a real Storage: the series cache keyed by raw
// label bytes must never change what is stored.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ingest/remote_write.h"
#include "metrics/handlers.h"
#include "tsdb/querier.h"
#include "tsdb/storage.h"

namespace vigil::metrics {
namespace {

constexpr int64_t kNow = 1750000000000;

class RemoteWriteHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_rwh_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    tsdb::StorageOptions o;
    o.dir = dir_ + "/metrics";
    o.clock = [] { return kNow; };
    auto s = tsdb::Storage::Open(std::move(o), nullptr);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
    handlers_ = std::make_unique<Handlers>(storage_.get());
  }
  void TearDown() override {
    handlers_.reset();
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Sends one request of the given series, each with one sample at `ts`.
  int Write(const std::vector<std::vector<LabelPair>>& series, int64_t ts, double value) {
    std::vector<Sample> sample{Sample{ts, value}};
    std::vector<ingest::TimeSeriesView> views;
    for (const auto& labels : series) views.push_back(ingest::TimeSeriesView{labels, sample});
    net::HttpRequest req;
    req.method = "POST";
    req.body = ingest::EncodeWriteRequest(views);
    return handlers_->RemoteWrite(req).status;
  }

  // series text -> number of samples stored
  std::map<std::string, size_t> Stored() {
    std::map<std::string, size_t> out;
    auto q = storage_->NewQuerier(INT64_MIN, INT64_MAX);
    auto set = q->Select({tsdb::Matcher::Equal("job", "node")});
    while (set->Next()) {
      size_t n = 0;
      auto it = set->Samples();
      while (it->Next()) ++n;
      out[set->labels().ToString()] = n;
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<tsdb::Storage> storage_;
  std::unique_ptr<Handlers> handlers_;
};

const std::vector<LabelPair> kUpA{{"__name__", "up"}, {"job", "node"}, {"instance", "a"}};
const std::vector<LabelPair> kUpB{{"__name__", "up"}, {"job", "node"}, {"instance", "b"}};

TEST_F(RemoteWriteHandlerTest, RepeatedSeriesAreStoredUnderTheirOwnLabels) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Write({kUpA, kUpB}, kNow - 10000 + i * 1000, i), 204);
  const auto stored = Stored();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.at(R"(up{instance="a", job="node"})"), 5u);
  EXPECT_EQ(stored.at(R"(up{instance="b", job="node"})"), 5u);
}

TEST_F(RemoteWriteHandlerTest, SeriesWrittenAgainAfterDeleteSeriesIsStoredAgain) {
  ASSERT_EQ(Write({kUpA, kUpB}, kNow - 5000, 1), 204);
  auto deleted = storage_->DeleteSeries({tsdb::Matcher::Equal("instance", "a")});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1u);
  // The cache still maps instance="a"'s raw bytes to its old ref.
  ASSERT_EQ(Write({kUpA, kUpB}, kNow - 4000, 2), 204);
  ASSERT_EQ(Write({kUpA}, kNow - 3000, 3), 204);
  const auto stored = Stored();
  EXPECT_EQ(stored.at(R"(up{instance="a", job="node"})"), 2u);
  EXPECT_EQ(stored.at(R"(up{instance="b", job="node"})"), 2u);
}

TEST_F(RemoteWriteHandlerTest, RejectedSeriesIsNotCachedAndStaysRejected) {
  const std::string value(5000, 'v');
  const std::vector<LabelPair> bad{{"__name__", "up"}, {"job", "node"}, {"x", value}};
  EXPECT_EQ(Write({bad}, kNow - 2000, 1), 400);
  EXPECT_EQ(Write({bad}, kNow - 1000, 1), 400);
  EXPECT_TRUE(Stored().empty());
}

}  // namespace
}  // namespace vigil::metrics
