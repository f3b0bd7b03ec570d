// Storage's own headers are in reach; services' are not. The control build
// (LAYERING_CONTROL) proves that this file builds without the line below.
#include "storage/journal.h"
#ifndef LAYERING_CONTROL
#include "services/server.h"  // must not compile: storage may not see services
#endif
