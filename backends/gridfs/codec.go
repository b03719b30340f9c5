package gridfs

// A program that caches in GridFS compiles the BSON packages anyway, so
// this package registers serializers.BSON for it: serializer=bson in a
// gridfs:// DSN works without another import.
import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
