#include "storage/journal.h"  // must not compile: engine may not see storage
