// NewKafkaConf: a librdkafka configuration whose log lines go through the
// daemon's logger (spdlog) instead of librdkafka's own writes to stderr:
// each facility at most once a minute (with the count held back), and the
// values librdkafka quotes from the configuration hidden ("set to `...`": a
// secret given as an ${env:} property was printed in clear).
//
// Thread-safety: the logger may be called from librdkafka's threads.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

namespace loghunt {

// rd_kafka_conf_new() with the logger set. REQUIRES: the caller owns it as
// with rd_kafka_conf_new (rd_kafka_new takes it, or rd_kafka_conf_destroy).
rd_kafka_conf_t* NewKafkaConf();

// A librdkafka log line with quoted configuration values hidden: every
// "to `VALUE`" becomes "to `(hidden)`".
std::string RedactKafkaLog(std::string_view line);

}  // namespace loghunt
