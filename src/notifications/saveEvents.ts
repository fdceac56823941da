/**
 * The save event: what a receiver of a topic gets when a document is saved. Generate's `NotifyTopicName` (or
 * `Notification.MNS.TopicName`) names the topic, IMM_NOTIFY_TOPICS says where that topic is delivered. Pure.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectVersion } from '../store/objectVersions.js';
import type { OutboxMessage } from '../store/notificationOutbox.js';
import type { WebofficeOptions, WebofficeUser } from '../tokens/webofficeOptions.js';

/** Who saved what, from the session that saved it. */
export interface SaveContext {
  topic: string;
  projectName: string;
  fileId: string;
  sourceUri: string;
  user: WebofficeUser;
  /** Generate's `UserData`, echoed as given. */
  userData?: string;
}

/** The JSON body sent (and signed). `Id` is also the `x-imm-notification-id` header: the same on every retry. */
export interface SaveEvent {
  Id: string;
  EventType: 'save';
  /** When the version was committed, ISO 8601 UTC. */
  Time: string;
  ProjectName: string;
  FileId: string;
  SourceURI: string;
  Version: number;
  ETag: string;
  Size: number;
  User: { Id?: string; Name?: string };
  UserData?: string;
}

/** The topic a session's saves are announced on: `NotifyTopicName`, else `Notification.MNS.TopicName`. */
export function notifyTopicOf(options: Pick<WebofficeOptions, 'notifyTopicName' | 'notification'>): string | undefined {
  if (options.notifyTopicName) return options.notifyTopicName;
  const mns = options.notification?.MNS as { TopicName?: unknown } | undefined;
  return typeof mns?.TopicName === 'string' && mns.TopicName !== '' ? mns.TopicName : undefined;
}

/** For `saveVersion`'s `notify`: the outbox message announcing the version it commits (none without a topic). */
export function saveNotification(context: SaveContext | undefined): (version: ObjectVersion) => OutboxMessage[] {
  return (version) => {
    if (!context) return [];
    const event: SaveEvent = {
      Id: randomUUID(),
      EventType: 'save',
      Time: version.createdAt,
      ProjectName: context.projectName,
      FileId: context.fileId,
      SourceURI: context.sourceUri,
      Version: version.version,
      ETag: version.etag,
      Size: version.size,
      User: { Id: context.user.Id, Name: context.user.Name },
      ...(context.userData === undefined ? {} : { UserData: context.userData }),
    };
    return [{ id: event.Id, topic: context.topic, body: JSON.stringify(event) }];
  };
}
