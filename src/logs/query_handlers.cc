// LogsQL query endpoints (/select/logsql/*).

#include "logs/logs_component.h"

namespace vigil::logs {

void LogsComponent::RegisterQueryRoutes(net::Router& router) { (void)router; }

}  // namespace vigil::logs
