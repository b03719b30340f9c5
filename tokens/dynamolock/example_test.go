package dynamolock_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/oauth2"

	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/tokens"
	"github.com/cachedhttp/cachedhttp/tokens/dynamolock"
)

// Lambdas or containers share one token in a DynamoDB table and refresh it
// once when it expires: the lock items live in the token table.
func ExampleForBackend() {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		panic(err)
	}
	backend, err := dynamodb.New(ctx, awsddb.NewFromConfig(awsCfg), "oauth-tokens", dynamodb.Options{CreateTable: true})
	if err != nil {
		panic(err)
	}
	store, err := tokens.NewBackendStore(backend, nil)
	if err != nil {
		panic(err)
	}
	locker, err := dynamolock.ForBackend(backend, &dynamolock.Options{})
	if err != nil {
		panic(err)
	}
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: "https://auth.example/token"}}
	ts, err := tokens.New(store, "service", &tokens.Refresher{Config: cfg}, &tokens.Options{Locker: locker})
	if err != nil {
		panic(err)
	}
	tok, err := ts.TokenContext(ctx)
	if err != nil {
		panic(err)
	}
	_ = tok
}
