// The few Alertmanager API v2 calls the Compose tests make
// (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml), and the test's webhook recorder.

export interface AmAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

/** One notification as Alertmanager's webhook sends it. */
export interface Notification {
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[];
}

export class AlertmanagerApi {
  constructor(readonly url: string) {}

  /** Every alert Alertmanager holds, active, inhibited or silenced alike. */
  async alerts(): Promise<AmAlert[]> {
    const res = await fetch(`${this.url}/api/v2/alerts?active=true&silenced=true&inhibited=true`);
    if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status} ${await res.text()}`);
    return (await res.json()) as AmAlert[];
  }
}

/** The notifications tests/integration/alertmanager/webhook-recorder.mjs received, oldest first. */
export async function receivedNotifications(recorderUrl: string): Promise<Notification[]> {
  const res = await fetch(`${recorderUrl}/received`);
  if (!res.ok) throw new Error(`GET /received: ${res.status}`);
  return (await res.json()) as Notification[];
}
