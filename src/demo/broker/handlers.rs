//! One function per Kafka API: a decoded request in, a response out.
//!
//! Each handler reads only the request fields that exist in the versions we advertise
//! (`SUPPORTED_APIS`) and fills the response fields those versions carry; the codec drops the
//! rest. Error codes follow Kafka's, so librdkafka's retry and reset logic applies unchanged.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{
    api_versions_response::ApiVersion,
    create_topics_response::CreatableTopicResult,
    describe_configs_response::DescribeConfigsResult,
    fetch_response::{FetchableTopicResponse, PartitionData},
    join_group_response::JoinGroupResponseMember,
    list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse},
    metadata_response::{MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic},
    offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic},
    offset_fetch_response::{OffsetFetchResponsePartition, OffsetFetchResponseTopic},
    offset_for_leader_epoch_response::{EpochEndOffset, OffsetForLeaderTopicResult},
    produce_response::{PartitionProduceResponse, TopicProduceResponse},
    ApiKey, ApiVersionsResponse, BrokerId, CreateTopicsRequest, CreateTopicsResponse,
    DescribeConfigsRequest, DescribeConfigsResponse, FetchRequest, FetchResponse,
    FindCoordinatorRequest, FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse,
    InitProducerIdRequest, InitProducerIdResponse, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, LeaveGroupResponse, ListOffsetsRequest, ListOffsetsResponse,
    MetadataRequest, MetadataResponse, OffsetCommitRequest, OffsetCommitResponse,
    OffsetFetchRequest, OffsetFetchResponse, OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse, ProduceRequest, ProduceResponse, ProducerId, SyncGroupRequest,
    SyncGroupResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::group::{Committed, JoinOutcome, JoinRequest, Pending};
use super::log::LEADER_EPOCH;
use super::{BrokerState, Topic, NODE_ID};

/// The APIs and version ranges this broker implements, and therefore advertises in ApiVersions.
///
/// Lower bounds are those of the codec (Kafka 4 dropped older versions); upper bounds are what
/// the handlers below implement and librdkafka 2.12 uses. Fetch stops at v12 so topics travel by
/// name, not by topic id.
pub(crate) const SUPPORTED_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 10),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 7),
    (ApiKey::FindCoordinator, 0, 2),
    (ApiKey::JoinGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 3),
    (ApiKey::LeaveGroup, 0, 1),
    (ApiKey::SyncGroup, 0, 3),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 2, 4),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::OffsetForLeaderEpoch, 2, 3),
    (ApiKey::DescribeConfigs, 1, 1),
];

/// The supported version range of an API, if we implement it at all.
pub(crate) fn supported_versions(key: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED_APIS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, min, max)| (*min, *max))
}

fn code(e: Option<ResponseError>) -> i16 {
    e.map_or(0, |e| e.code())
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_owned()))
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

pub(crate) fn api_versions(error: Option<ResponseError>) -> ApiVersionsResponse {
    let api_keys = SUPPORTED_APIS
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default()
                .with_api_key(*key as i16)
                .with_min_version(*min)
                .with_max_version(*max)
        })
        .collect();
    ApiVersionsResponse::default()
        .with_error_code(code(error))
        .with_api_keys(api_keys)
}

impl BrokerState {
    pub(crate) fn metadata(&self, req: MetadataRequest, version: i16) -> MetadataResponse {
        // Before v4 a request could not opt out of auto-creation.
        let auto_create =
            self.config.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
        let topics = match req.topics {
            None => self.all_topics().iter().map(describe_topic).collect(),
            Some(wanted) => wanted
                .into_iter()
                .map(|t| match t.name {
                    Some(n) => {
                        let found = if auto_create {
                            self.get_or_create_topic(&n, self.config.default_partitions)
                        } else {
                            self.topic(&n).ok_or(ResponseError::UnknownTopicOrPartition)
                        };
                        match found {
                            Ok(topic) => describe_topic(&topic),
                            Err(e) => MetadataResponseTopic::default()
                                .with_name(Some(n))
                                .with_error_code(e.code()),
                        }
                    }
                    None => match self.topic_by_id(t.topic_id) {
                        Some(topic) => describe_topic(&topic),
                        None => MetadataResponseTopic::default()
                            .with_name(None)
                            .with_topic_id(t.topic_id)
                            .with_error_code(ResponseError::UnknownTopicId.code()),
                    },
                })
                .collect(),
        };
        MetadataResponse::default()
            .with_brokers(vec![MetadataResponseBroker::default()
                .with_node_id(BrokerId(NODE_ID))
                .with_host(str_bytes(&self.host))
                .with_port(self.port)])
            .with_cluster_id(Some(str_bytes(&self.cluster_id)))
            .with_controller_id(BrokerId(NODE_ID))
            .with_topics(topics)
    }

    /// Appends each partition's batches. `None` when `acks=0`: Kafka sends no response then.
    pub(crate) fn produce(&self, req: ProduceRequest) -> Option<ProduceResponse> {
        let txn_error = req
            .transactional_id
            .as_ref()
            .map(|_| ResponseError::TransactionalIdAuthorizationFailed);
        let mut appended = false;
        let responses = req
            .topic_data
            .into_iter()
            .map(|t| {
                let topic = self.topic(&t.name);
                let partition_responses = t
                    .partition_data
                    .into_iter()
                    .map(|p| {
                        let result = match (&txn_error, &topic) {
                            (Some(e), _) => Err(*e),
                            (None, None) => Err(ResponseError::UnknownTopicOrPartition),
                            (None, Some(topic)) => match topic.partition(p.index) {
                                None => Err(ResponseError::UnknownTopicOrPartition),
                                Some(log) => {
                                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                                    let records = p.records.unwrap_or_default();
                                    log.append(&records).map(|a| (a.base_offset, log.log_start_offset()))
                                }
                            },
                        };
                        let r = PartitionProduceResponse::default()
                            .with_index(p.index)
                            .with_log_append_time_ms(-1);
                        match result {
                            Ok((base_offset, log_start)) => {
                                appended = true;
                                r.with_base_offset(base_offset).with_log_start_offset(log_start)
                            }
                            Err(e) => {
                                tracing::debug!(topic = %t.name.as_str(), partition = p.index, error = ?e, "produce rejected");
                                r.with_error_code(e.code()).with_base_offset(-1).with_log_start_offset(-1)
                            }
                        }
                    })
                    .collect();
                TopicProduceResponse::default()
                    .with_name(t.name)
                    .with_partition_responses(partition_responses)
            })
            .collect();
        if appended {
            self.data_arrived.notify_waiters();
        }
        (req.acks != 0).then(|| ProduceResponse::default().with_responses(responses))
    }

    /// Returns as soon as `min_bytes` are available or `max_wait_ms` has passed; waits on the
    /// broker-wide "data arrived" notification in between.
    pub(crate) async fn fetch(&self, req: FetchRequest) -> FetchResponse {
        let max_wait = Duration::from_millis(req.max_wait_ms.max(0) as u64);
        let deadline = tokio::time::Instant::now() + max_wait;
        let min_bytes = req.min_bytes.max(0) as usize;
        loop {
            // Register interest before reading, so an append in between is not missed.
            let notified = self.data_arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (resp, bytes, failed) = self.read_fetch(&req);
            if bytes >= min_bytes || failed || tokio::time::Instant::now() >= deadline {
                return resp;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// One pass over the fetched partitions: (response, record bytes, whether any partition
    /// errored — an error is returned at once rather than after `max_wait_ms`).
    fn read_fetch(&self, req: &FetchRequest) -> (FetchResponse, usize, bool) {
        let mut remaining = if req.max_bytes > 0 {
            req.max_bytes as usize
        } else {
            usize::MAX
        };
        let mut total = 0;
        let mut failed = false;
        let responses = req
            .topics
            .iter()
            .map(|t| {
                let topic = self.topic(&t.topic);
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let data = PartitionData::default().with_partition_index(p.partition);
                        let Some(log) = topic.as_ref().and_then(|t| t.partition(p.partition))
                        else {
                            failed = true;
                            return data
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code())
                                .with_high_watermark(-1);
                        };
                        let log = log.lock().unwrap_or_else(|e| e.into_inner());
                        let limit = remaining.min(p.partition_max_bytes.max(0) as usize);
                        // Only the first non-empty partition may exceed the limits (KIP-74).
                        match log.read(p.fetch_offset, limit, total == 0) {
                            Ok(read) => {
                                total += read.records.len();
                                remaining = remaining.saturating_sub(read.records.len());
                                data.with_high_watermark(read.high_watermark)
                                    .with_last_stable_offset(read.high_watermark)
                                    .with_log_start_offset(read.log_start_offset)
                                    .with_records(Some(read.records))
                            }
                            Err(e) => {
                                failed = true;
                                data.with_error_code(e.code())
                                    .with_high_watermark(log.high_watermark())
                                    .with_last_stable_offset(log.high_watermark())
                                    .with_log_start_offset(log.log_start_offset())
                            }
                        }
                    })
                    .collect();
                FetchableTopicResponse::default()
                    .with_topic(t.topic.clone())
                    .with_partitions(partitions)
            })
            .collect();
        // session_id 0: we never create incremental fetch sessions (KIP-227); clients then keep
        // sending full fetch requests, which is allowed.
        (
            FetchResponse::default().with_responses(responses),
            total,
            failed,
        )
    }

    pub(crate) fn list_offsets(&self, req: ListOffsetsRequest) -> ListOffsetsResponse {
        let topics = req
            .topics
            .into_iter()
            .map(|t| {
                let topic = self.topic(&t.name);
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let r = ListOffsetsPartitionResponse::default()
                            .with_partition_index(p.partition_index);
                        match topic.as_ref().and_then(|t| t.partition(p.partition_index)) {
                            None => r
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code())
                                .with_offset(-1)
                                .with_timestamp(-1),
                            Some(log) => {
                                let log = log.lock().unwrap_or_else(|e| e.into_inner());
                                let (timestamp, offset) = log.offset_for_timestamp(p.timestamp);
                                r.with_timestamp(timestamp)
                                    .with_offset(offset)
                                    .with_leader_epoch(LEADER_EPOCH)
                            }
                        }
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        ListOffsetsResponse::default().with_topics(topics)
    }

    /// KIP-320 offset validation. There has only ever been one leader epoch, so any epoch up to
    /// it ends at the log end offset.
    pub(crate) fn offset_for_leader_epoch(
        &self,
        req: OffsetForLeaderEpochRequest,
    ) -> OffsetForLeaderEpochResponse {
        let topics = req
            .topics
            .into_iter()
            .map(|t| {
                let topic = self.topic(&t.topic);
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let r = EpochEndOffset::default().with_partition(p.partition);
                        match topic.as_ref().and_then(|t| t.partition(p.partition)) {
                            None => {
                                r.with_error_code(ResponseError::UnknownTopicOrPartition.code())
                            }
                            Some(_) if p.leader_epoch > LEADER_EPOCH => {
                                r.with_leader_epoch(-1).with_end_offset(-1)
                            }
                            Some(log) => {
                                let hw = log
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .high_watermark();
                                r.with_leader_epoch(LEADER_EPOCH).with_end_offset(hw)
                            }
                        }
                    })
                    .collect();
                OffsetForLeaderTopicResult::default()
                    .with_topic(t.topic)
                    .with_partitions(partitions)
            })
            .collect();
        OffsetForLeaderEpochResponse::default().with_topics(topics)
    }

    pub(crate) fn find_coordinator(&self, req: FindCoordinatorRequest) -> FindCoordinatorResponse {
        let r = FindCoordinatorResponse::default();
        // key_type 1 = transaction coordinator, which this broker does not have.
        if req.key_type != 0 {
            return r
                .with_error_code(ResponseError::CoordinatorNotAvailable.code())
                .with_node_id(BrokerId(-1))
                .with_port(-1);
        }
        r.with_node_id(BrokerId(NODE_ID))
            .with_host(str_bytes(&self.host))
            .with_port(self.port)
    }

    pub(crate) async fn join_group(
        &self,
        req: JoinGroupRequest,
        version: i16,
        client_id: &str,
    ) -> JoinGroupResponse {
        let session_timeout = Duration::from_millis(req.session_timeout_ms.max(0) as u64);
        // v0 has no rebalance timeout; Kafka uses the session timeout then.
        let rebalance_timeout = if version >= 1 {
            Duration::from_millis(req.rebalance_timeout_ms.max(0) as u64)
        } else {
            session_timeout
        };
        let member_id = req.member_id.to_string();
        let join = JoinRequest {
            member_id: member_id.clone(),
            client_id: client_id.to_owned(),
            protocol_type: req.protocol_type.to_string(),
            protocols: req
                .protocols
                .into_iter()
                .map(|p| (p.name.to_string(), p.metadata))
                .collect(),
            session_timeout,
            rebalance_timeout,
        };
        let outcome = match self.groups.join(&req.group_id, join) {
            Pending::Ready(o) => o,
            Pending::Wait(rx) => rx.await.unwrap_or_else(|_| {
                // The member was removed while waiting (left, or a newer join replaced it).
                JoinOutcome {
                    error: Some(ResponseError::UnknownMemberId),
                    generation_id: -1,
                    protocol_name: None,
                    leader: String::new(),
                    member_id,
                    members: Vec::new(),
                }
            }),
        };
        let members = outcome
            .members
            .into_iter()
            .map(|(id, metadata)| {
                JoinGroupResponseMember::default()
                    .with_member_id(StrBytes::from_string(id))
                    .with_metadata(metadata)
            })
            .collect();
        JoinGroupResponse::default()
            .with_error_code(code(outcome.error))
            .with_generation_id(outcome.generation_id)
            .with_protocol_name(Some(StrBytes::from_string(
                outcome.protocol_name.unwrap_or_default(),
            )))
            .with_leader(StrBytes::from_string(outcome.leader))
            .with_member_id(StrBytes::from_string(outcome.member_id))
            .with_members(members)
    }

    pub(crate) async fn sync_group(&self, req: SyncGroupRequest) -> SyncGroupResponse {
        let assignments = req
            .assignments
            .into_iter()
            .map(|a| (a.member_id.to_string(), a.assignment))
            .collect();
        let outcome = match self.groups.sync(
            &req.group_id,
            req.generation_id,
            &req.member_id,
            assignments,
        ) {
            Pending::Ready(o) => o,
            Pending::Wait(rx) => rx.await.unwrap_or(Err(ResponseError::UnknownMemberId)),
        };
        match outcome {
            Ok(assignment) => SyncGroupResponse::default().with_assignment(assignment),
            Err(e) => SyncGroupResponse::default()
                .with_error_code(e.code())
                .with_assignment(Bytes::new()),
        }
    }

    pub(crate) fn heartbeat(&self, req: HeartbeatRequest) -> HeartbeatResponse {
        let error = self
            .groups
            .heartbeat(&req.group_id, req.generation_id, &req.member_id);
        HeartbeatResponse::default().with_error_code(code(error))
    }

    pub(crate) fn leave_group(&self, req: LeaveGroupRequest) -> LeaveGroupResponse {
        let error = self.groups.leave(&req.group_id, &req.member_id);
        LeaveGroupResponse::default().with_error_code(code(error))
    }

    pub(crate) fn offset_commit(
        &self,
        req: OffsetCommitRequest,
        version: i16,
    ) -> OffsetCommitResponse {
        let offsets: Vec<((String, i32), Committed)> = req
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| {
                    let committed = Committed {
                        offset: p.committed_offset,
                        // The epoch field exists from v6; -1 means "unknown" to clients.
                        leader_epoch: if version >= 6 {
                            p.committed_leader_epoch
                        } else {
                            -1
                        },
                        metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                    };
                    ((t.name.to_string(), p.partition_index), committed)
                })
            })
            .collect();
        let error = self.groups.commit(
            &req.group_id,
            req.generation_id_or_member_epoch,
            &req.member_id,
            offsets,
        );
        let topics = req
            .topics
            .into_iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        OffsetCommitResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(code(error))
                    })
                    .collect();
                OffsetCommitResponseTopic::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        OffsetCommitResponse::default().with_topics(topics)
    }

    pub(crate) fn offset_fetch(&self, req: OffsetFetchRequest) -> OffsetFetchResponse {
        let wanted: Option<Vec<(String, Vec<i32>)>> = req.topics.map(|ts| {
            ts.into_iter()
                .map(|t| (t.name.to_string(), t.partition_indexes))
                .collect()
        });
        let topics = self
            .groups
            .committed(&req.group_id, wanted.as_deref())
            .into_iter()
            .map(|(topic, parts)| {
                let partitions = parts
                    .into_iter()
                    .map(|(partition, committed)| {
                        let r =
                            OffsetFetchResponsePartition::default().with_partition_index(partition);
                        match committed {
                            Some(c) => r
                                .with_committed_offset(c.offset)
                                .with_committed_leader_epoch(c.leader_epoch)
                                .with_metadata(Some(StrBytes::from_string(
                                    c.metadata.unwrap_or_default(),
                                ))),
                            None => r
                                .with_committed_offset(-1)
                                .with_committed_leader_epoch(-1)
                                .with_metadata(Some(StrBytes::default())),
                        }
                    })
                    .collect();
                OffsetFetchResponseTopic::default()
                    .with_name(name(&topic))
                    .with_partitions(partitions)
            })
            .collect();
        OffsetFetchResponse::default().with_topics(topics)
    }

    /// Idempotent producers only: a transactional id is refused, as there is no transaction
    /// coordinator. From v3 a known producer may ask for its epoch to be bumped (KIP-360).
    pub(crate) fn init_producer_id(
        &self,
        req: InitProducerIdRequest,
        version: i16,
    ) -> InitProducerIdResponse {
        let r = InitProducerIdResponse::default();
        if req.transactional_id.is_some() {
            return r
                .with_error_code(ResponseError::TransactionalIdAuthorizationFailed.code())
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1);
        }
        let (id, epoch) =
            if version >= 3 && req.producer_id.0 >= 0 && req.producer_epoch < i16::MAX - 1 {
                (req.producer_id.0, req.producer_epoch.max(-1) + 1)
            } else {
                (
                    self.next_producer_id
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                    0,
                )
            };
        r.with_producer_id(ProducerId(id))
            .with_producer_epoch(epoch)
    }

    pub(crate) fn create_topics(&self, req: CreateTopicsRequest) -> CreateTopicsResponse {
        let topics = req
            .topics
            .into_iter()
            .map(|t| {
                let partitions = if t.num_partitions == -1 {
                    self.config.default_partitions
                } else {
                    t.num_partitions
                };
                let result = if self.topic(&t.name).is_some() {
                    Err(ResponseError::TopicAlreadyExists)
                } else if partitions <= 0 {
                    Err(ResponseError::InvalidPartitions)
                } else if let Err(e) = validate_topic_name(&t.name) {
                    Err(e)
                } else if req.validate_only {
                    Ok(())
                } else {
                    self.create_topic(&t.name, partitions).map(|_| ())
                };
                CreatableTopicResult::default()
                    .with_name(t.name)
                    .with_error_code(code(result.err()))
            })
            .collect();
        CreateTopicsResponse::default().with_topics(topics)
    }

    /// Answers every resource with no config entries: nothing is configurable here.
    pub(crate) fn describe_configs(&self, req: DescribeConfigsRequest) -> DescribeConfigsResponse {
        let results = req
            .resources
            .into_iter()
            .map(|r| {
                DescribeConfigsResult::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name)
            })
            .collect();
        DescribeConfigsResponse::default().with_results(results)
    }
}

fn describe_topic(topic: &Arc<Topic>) -> MetadataResponseTopic {
    let partitions = (0..topic.partitions.len() as i32)
        .map(|i| {
            MetadataResponsePartition::default()
                .with_partition_index(i)
                .with_leader_id(BrokerId(NODE_ID))
                .with_leader_epoch(LEADER_EPOCH)
                .with_replica_nodes(vec![BrokerId(NODE_ID)])
                .with_isr_nodes(vec![BrokerId(NODE_ID)])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(name(&topic.name)))
        .with_topic_id(topic.id)
        .with_partitions(partitions)
}

/// Kafka's rule: 1–249 characters from `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), ResponseError> {
    let legal = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if name.is_empty() || name.len() > 249 || name == "." || name == ".." || !legal {
        Err(ResponseError::InvalidTopicException)
    } else {
        Ok(())
    }
}
