package main

// The command reads and writes BSON records (serializer=bson in a -cache
// DSN; show and migrate on BSON records), so it registers the BSON codec.
import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
