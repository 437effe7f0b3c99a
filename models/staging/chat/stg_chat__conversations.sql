{{ config(
    unique_key='conversation_id',
    post_hook="{{ forget_withdrawn_copies(source('chat', 'conversations')) }}",
) }}
{%- set parts = '$.conversation_parts.conversation_parts' -%}

with

source as (
    {{ landed_records(source('chat', 'conversations'), 'conversation_id') }}
),

renamed as (
    select
        record_key as conversation_id,
        lower({{ json_text('payload', '$.state') }}) as state,
        {{ json_bool('payload', '$.open') }} as is_open,
        {{ json_text('payload', '$.priority') }} = 'priority' as is_priority,
        lower({{ json_text('payload', '$.source.type') }}) as source_type,
        lower({{ json_text('payload', '$.source.delivered_as') }}) as delivered_as,
        lower({{ json_text('payload', '$.source.author.type') }}) as author_type,
        {{ json_text('payload', '$.source.author.id') }} as author_id,
        {{ json_text('payload', '$.source.author.email') }} as author_email,
        {{ json_text('payload', '$.contacts.contacts[0].id') }} as contact_id,
        {{ json_text('payload', '$.contacts.contacts[0].external_id') }} as user_id,
        {{ json_text('payload', '$.admin_assignee_id') }} as admin_assignee_id,
        {{ json_text('payload', '$.team_assignee_id') }} as team_assignee_id,
        {{ json_int('payload', '$.conversation_rating.rating') }} as rating,
        coalesce(trim({{ json_text('payload', '$.conversation_rating.remark') }}), '') != ''
            as has_rating_remark,
        {{ to_utc(json_text('payload', '$.conversation_rating.created_at')) }} as rated_at,
        {{ json_bool('payload', '$.ai_agent_participated') }} as has_ai_agent_participation,
        {{ json_int('payload', '$.statistics.time_to_assignment') }}
            as time_to_assignment_seconds,
        {{ json_int('payload', '$.statistics.time_to_admin_reply') }}
            as time_to_admin_reply_seconds,
        {{ json_int('payload', '$.statistics.time_to_first_close') }}
            as time_to_first_close_seconds,
        {{ json_int('payload', '$.statistics.count_reopens') }} as reopen_count,
        {{ json_int('payload', '$.statistics.count_conversation_parts') }} as part_count,
        {{ json_array_text('payload', '$.tags.tags[*].name') }} as tag_names_json,
        {{ json_array_text('payload', parts ~ '[*].part_type') }} as part_types_json,
        {{ json_array_text('payload', parts ~ '[*].author.type') }} as part_author_types_json,
        {{ json_array_text('payload', parts ~ '[*].created_at') }} as part_created_at_json,
        {{ to_utc(json_text('payload', '$.created_at')) }} as created_at,
        {{ to_utc(json_text('payload', '$.updated_at')) }} as updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'conversation_id') }}
),

final as (
    select
        conversation_id,
        state,
        is_open,
        is_priority,
        source_type,
        delivered_as,
        author_type,
        author_id,
        {{ pseudonymize(normalize_email('author_email'), 'email') }} as email_key,
        contact_id,
        user_id,
        admin_assignee_id,
        team_assignee_id,
        rating,
        has_rating_remark,
        rated_at,
        has_ai_agent_participation,
        time_to_assignment_seconds,
        time_to_admin_reply_seconds,
        time_to_first_close_seconds,
        reopen_count,
        part_count,
        tag_names_json,
        part_types_json,
        part_author_types_json,
        part_created_at_json,
        created_at,
        updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
