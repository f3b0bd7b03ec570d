// The engine's own headers are in reach; services' are not. The control
// build (LAYERING_CONTROL) proves that this file builds without the line below.
#include "engine/core/money.h"
#ifndef LAYERING_CONTROL
#include "services/server.h"  // must not compile: engine may not see services
#endif
