namespace ToaProxy.Testing;

/// <summary>The nginx.conf of a test nginx: foreground, one process, everything it writes inside
/// <c>directory</c>, an access log in <c>logFormat</c>.</summary>
internal static class NginxConfigText
{
    // master_process off: one process, so killing it leaves no orphaned workers behind.
    public static string Build(string directory, int workerConnections, string logFormat, string server) => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        worker_rlimit_nofile {{workerConnections * 2}};
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log info;
        events { worker_connections {{workerConnections}}; }
        http {
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            log_format pp '{{logFormat}}';
            access_log {{directory}}/access.log pp;
            default_type text/plain;
            server {
        {{server}}
            }
        }
        """;
}
