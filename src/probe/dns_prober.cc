#include "probe/prober_internal.h"

namespace vigil::probe::internal {

asio::awaitable<bool> ProbeDns(ProbeContext& ctx, const std::string& target, const Module& module) {
  (void)target;
  (void)module;
  ctx.log->Error("dns prober not implemented");
  co_return false;
}

}  // namespace vigil::probe::internal
