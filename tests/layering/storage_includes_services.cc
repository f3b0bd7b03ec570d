#include "services/server.h"  // must not compile: storage may not see services
