#include "services/server.h"  // must not compile: engine may not see services
