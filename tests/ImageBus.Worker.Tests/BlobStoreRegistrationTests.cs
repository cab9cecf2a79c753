using ImageBus.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Tests;

/// <summary><c>Storage:Kind</c> chooses the store, and a half-configured S3 section is refused at start-up.</summary>
public sealed class BlobStoreRegistrationTests
{
    [Fact]
    public void The_filesystem_store_is_the_default()
    {
        using var services = Services();

        Assert.IsType<FileSystemBlobStore>(services.GetRequiredService<IBlobStore>());
    }

    [Fact]
    public void Kind_S3_chooses_the_S3_store()
    {
        using var services = Services(("Storage:Kind", "S3"), ("Storage:S3:ServiceUrl", "http://127.0.0.1:9000"),
            ("Storage:S3:Bucket", "images"), ("Storage:S3:AccessKey", "a"), ("Storage:S3:SecretKey", "s"));

        Assert.Equal("s3://images/k.jpg", Assert.IsType<S3BlobStore>(services.GetRequiredService<IBlobStore>()).Describe("k.jpg"));
    }

    [Theory]
    [InlineData("Storage:S3:AccessKey", "only-the-access-key", "set both AccessKey and SecretKey")]
    [InlineData("Storage:S3:ServiceUrl", "not a url", "ServiceUrl")]
    public void A_bad_S3_section_is_refused(string key, string value, string complaint)
    {
        using var services = Services(("Storage:Kind", "S3"), ("Storage:S3:Bucket", "images"), (key, value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(complaint, ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(params (string Key, string? Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddBlobStore().BuildServiceProvider();
    }
}
