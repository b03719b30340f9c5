// Package bsoncodec implements the BSON codec of package serializers and
// registers it when imported:
//
//	import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
//
// after which serializers.BSON, serializers.ParseCodec("bson") and the DSN
// parameter serializer=bson work, and BSON records read. It is a package of
// its own because it compiles the MongoDB driver's bson packages, which a
// program caching in Redis or bbolt has no use for. backends/mongodb,
// backends/gridfs and the cachedhttp command import it.
//
// A BSON record's payload is one BSON document with native types: the body
// is binary (subtype 0), header maps are embedded documents of string
// arrays, times are BSON dates. A BSON date has millisecond precision, so
// each time also has a "<name>_ns" field with the nanoseconds within its
// millisecond (left out when 0): times round-trip to the nanosecond, in UTC.
// The zero time is left out and reads back as zero. Nil maps and slices are
// written as null and empty ones as {} or [], keeping the two apart.
// serializers/FORMAT.md specifies the layout.
//
// The package has no API of its own: importing it is the whole interface.
package bsoncodec
