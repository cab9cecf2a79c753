using System.Collections.Concurrent;
using ImageBus.Storage;
using ImageBus.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Tests;

/// <summary>The S3 store against a minimal S3-compatible stand-in: path-style PUT and GET of objects.</summary>
public sealed class S3BlobStoreTests : IAsyncLifetime, IDisposable
{
    private const string Bucket = "imagebus-images";
    private const string AccessKey = "AKIATESTKEY0001";

    private readonly ConcurrentDictionary<string, (byte[] Body, string ContentType)> objects = new();
    private readonly ConcurrentQueue<string> requests = new();
    private readonly ConcurrentQueue<string> authorizations = new();
    private WebApplication standIn = null!;
    private S3BlobStore store = null!;

    public async Task InitializeAsync()
    {
        standIn = await LoopbackApp.StartAsync(app =>
        {
            app.Use(async (http, next) =>
            {
                requests.Enqueue($"{http.Request.Method} {http.Request.Path}");
                authorizations.Enqueue(http.Request.Headers.Authorization.ToString());
                await next(http);
            });
            app.MapPut("/{bucket}/{**key}", async (string bucket, string key, HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                objects[$"{bucket}/{key}"] = (body.ToArray(), request.ContentType ?? "");
                return Results.Ok();
            });
            app.MapGet("/{bucket}/{**key}", (string bucket, string key) => objects.TryGetValue($"{bucket}/{key}", out var found)
                ? Results.Bytes(found.Body, found.ContentType)
                : Results.Content("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                    "application/xml", statusCode: 404));
        });
        store = new S3BlobStore(Options.Create(new StorageOptions
        {
            Kind = BlobStoreKind.S3,
            S3 = new S3StorageOptions
            {
                ServiceUrl = standIn.Urls.Single(), Bucket = Bucket, AccessKey = AccessKey, SecretKey = "secret", ForcePathStyle = true,
            },
        }));
    }

    public async Task DisposeAsync() => await standIn.DisposeAsync();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task An_object_is_put_signed_under_its_key_and_read_back()
    {
        const string Key = "tenant-a/0f/item-1/attempt-1/image.jpg";
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 1, 2, 3];

        await store.PutAsync(Key, jpeg, "image/jpeg", CancellationToken.None);
        await using var read = await store.OpenReadAsync(Key, CancellationToken.None);

        Assert.Equal([$"PUT /{Bucket}/{Key}", $"GET /{Bucket}/{Key}"], requests);
        Assert.All(authorizations, a => Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={AccessKey}/", a, StringComparison.Ordinal));
        var stored = objects[$"{Bucket}/{Key}"];
        Assert.Equal(jpeg, stored.Body);
        Assert.Equal("image/jpeg", stored.ContentType);
        Assert.Equal(jpeg, ((MemoryStream)read!).ToArray());
        Assert.Equal($"s3://{Bucket}/{Key}", store.Describe(Key));
    }

    [Fact]
    public async Task Putting_a_key_again_replaces_the_object()
    {
        await store.PutAsync("a/image.webp", new byte[] { 1 }, "image/webp", CancellationToken.None);
        await store.PutAsync("a/image.webp", new byte[] { 2 }, "image/webp", CancellationToken.None);

        Assert.Equal([2], Assert.Single(objects).Value.Body);
    }

    [Fact]
    public async Task A_missing_object_reads_as_null()
    {
        Assert.Null(await store.OpenReadAsync("no/such/key.jpg", CancellationToken.None));
    }
}
