using System.Security.Cryptography;
using System.Text;

namespace ImageBus.Testing;

/// <summary>A subscriber's check of a Standard Webhooks v1 signature, written from the spec and apart from
/// the notifier's signer, so a test can tell whether what was sent verifies the way subscribers verify it.</summary>
public static class StandardWebhookVerifier
{
    /// <summary>Whether one of the space-separated <c>v1,</c> signatures in <paramref name="signatureHeader"/>
    /// is the HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c> under <paramref name="secret"/> (<c>whsec_</c> + base64 key).</summary>
    public static bool Verify(string secret, string webhookId, string timestamp, string body, string signatureHeader)
    {
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes(webhookId + "." + timestamp + "." + body));
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1"
                && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(parts[1])))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Verifies a webhook the <see cref="WebhookReceiver"/> recorded.</summary>
    public static bool Verify(string secret, ReceivedWebhook webhook) =>
        webhook.Headers.TryGetValue("webhook-signature", out var signature)
        && Verify(secret, webhook.Headers["webhook-id"], webhook.Headers["webhook-timestamp"], webhook.Body, signature);
}
