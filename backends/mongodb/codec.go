package mongodb

// A program that caches in MongoDB compiles the BSON packages anyway, so
// this package registers serializers.BSON for it: serializer=bson in a
// mongodb:// DSN works without another import.
import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
