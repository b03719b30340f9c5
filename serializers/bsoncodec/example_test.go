package bsoncodec_test

import (
	"fmt"
	"log"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	// Registers serializers.BSON. A program that stores in MongoDB or
	// GridFS gets it from those backend packages.
	_ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
)

func Example() {
	p, err := serializers.NewPipeline(serializers.BSON, serializers.Zstd(0))
	if err != nil {
		log.Fatal(err)
	}
	rec, err := p.Marshal(&models.Response{StatusCode: 200, Body: []byte("hello")})
	if err != nil {
		log.Fatal(err)
	}
	r, err := p.Unmarshal(rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p)
	fmt.Println(r.StatusCode, string(r.Body))
	// Output:
	// cachedhttp v1 bson zstd
	// 200 hello
}
