package dynamodb_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
)

// A backend over an existing table, with the AWS configuration of the
// environment.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	b, err := dynamodb.New(ctx, awsddb.NewFromConfig(cfg), "http-cache", dynamodb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}

// Open a backend on DynamoDB Local from a DSN, creating the table.
func Example_open() {
	b, err := backends.Open(context.Background(), "dynamodb://http-cache?endpoint=http://127.0.0.1:8000&create_table=true")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}
